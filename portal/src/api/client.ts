// The one fetch wrapper every page uses: same-origin cookies, the CSRF header on writes, JSON in
// and out, and RFC 9457 problem+json turned into an ApiProblem the UI can show.
import type { FieldError } from './types.ts';
import { currentMode } from '../lib/mode.ts';

export class ApiProblem extends Error {
  override name = 'ApiProblem';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly requestId: string | null;

  constructor(init: {
    status: number;
    code?: string;
    title?: string;
    detail?: string;
    errors?: FieldError[];
    requestId?: string | null;
  }) {
    const detail = init.detail ?? init.title ?? `Request failed (${init.status})`;
    super(detail);
    this.status = init.status;
    this.code = init.code ?? 'unknown';
    this.title = init.title ?? detail;
    this.detail = detail;
    this.errors = init.errors ?? [];
    this.requestId = init.requestId ?? null;
  }

  /** Field errors keyed by the first segment after `body.` (e.g. `body.events[0]` → `events`). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const field = e.path.replace(/^\/?(body[./])?/, '').split(/[./[]/)[0] ?? '';
      if (field && !out[field]) out[field] = e.message;
    }
    return out;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an authenticated call answers 401 (the session expired or was revoked). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestOptions {
  /** An array repeats the parameter (`?action=a&action=b`). */
  query?: Record<string, string | number | readonly string[] | undefined | null>;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not trigger the global 401 handler (used by login and the first /me). */
  quiet401?: boolean;
}

export async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(options.query ?? {})) {
    if (Array.isArray(v)) for (const item of v as readonly string[]) url.searchParams.append(k, item);
    else if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  // The test-mode switch: the server then answers from the agency's sandbox.
  if (currentMode() === 'test') headers['faro-mode'] = 'test';

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiProblem({ status: 0, code: 'network_error', detail: 'Could not reach the server. Check your connection and try again.' });
  }

  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (response.ok) return json as T;

  const p = (json ?? {}) as Record<string, unknown>;
  const problem = new ApiProblem({
    status: response.status,
    code: typeof p.code === 'string' ? p.code : undefined,
    title: typeof p.title === 'string' ? p.title : undefined,
    detail: typeof p.detail === 'string' ? p.detail : (typeof p.title === 'string' ? p.title : undefined),
    errors: Array.isArray(p.errors) ? (p.errors as FieldError[]) : undefined,
    requestId: typeof p.request_id === 'string' ? p.request_id : response.headers.get('request-id'),
  });
  if (response.status === 401 && !options.quiet401) onUnauthorized?.();
  throw problem;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body: body ?? {} }),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PATCH', path, { ...options, body }),
  delete: <T = void>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};

/** The server's id of the request that failed (problem body or `Request-Id`), for the user to quote. */
export function requestIdOf(err: unknown): string | null {
  return err instanceof ApiProblem ? err.requestId : null;
}

export function describeError(err: unknown): string {
  if (err instanceof ApiProblem) return err.detail;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
