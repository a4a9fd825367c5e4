import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, buildConnector } from 'undici';
import { systemClock, type Clock } from '../../../lib/clock.ts';
import { parseRetryAfter } from './retry-schedule.ts';
import { defaultResolveHost, findBlockedAddress, parseWebhookUrl, SsrfBlockedError, type ResolveHost } from './ssrf.ts';

/** Why a send failed; the values of `webhook_delivery_attempts.error_kind`. */
export type SendErrorKind = 'timeout' | 'connection' | 'dns' | 'tls' | 'ssrf_blocked' | 'http_status';
/** The kinds of a send that got no response. */
export type TransportErrorKind = Exclude<SendErrorKind, 'http_status'>;

export interface WebhookSenderOptions {
  /** Dev and tests only: allow http and private/loopback targets. */
  allowPrivate: boolean;
  /** Total budget of one send, connect to last body byte read. Default 15000. */
  timeoutMs?: number;
  /** Budget of the TCP (+TLS) connect alone. Default 5000. */
  connectTimeoutMs?: number;
  /** Bytes of the response body kept as the excerpt; the rest is discarded. Default 4096. */
  maxBodyBytes?: number;
  /** Hostname resolution at connect time; defaults to dns.lookup (all addresses). */
  resolve?: ResolveHost;
  /** The time an HTTP-date `Retry-After` is counted from. Default: the system clock. */
  clock?: Clock;
}

export interface SendRequest {
  url: string;
  /** Sent as given, e.g. from `buildWebhookHeaders`. */
  headers: Record<string, string>;
  body: string;
}

/** What one POST did. Never thrown: every failure is described here. */
export interface SendOutcome {
  /** True for a 2xx response only. */
  ok: boolean;
  /** Null when no response arrived. */
  statusCode: number | null;
  durationMs: number;
  /** Lower-case names; repeated headers joined with ", ". */
  responseHeaders: Record<string, string> | null;
  /** The first `maxBodyBytes` of the body as UTF-8 (a cut character becomes U+FFFD). */
  responseBodyExcerpt: string | null;
  /** From `Retry-After` (seconds or HTTP-date), whatever the status. */
  retryAfterSeconds: number | null;
  errorKind: SendErrorKind | null;
  errorMessage: string | null;
}

export interface WebhookSender {
  send(request: SendRequest): Promise<SendOutcome>;
  /** Closes every pooled connection once in-flight sends finish. */
  close(): Promise<void>;
}

/** The reason a send is aborted with when its total budget runs out. */
class SendTimeoutError extends Error {
  readonly code = 'ERR_WEBHOOK_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
    this.name = 'SendTimeoutError';
  }
}

const TIMEOUT_CODES = new Set([
  'ERR_WEBHOOK_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL']);
/** OpenSSL verification codes as Node reports them, besides the ERR_TLS_* / ERR_SSL_* families. */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG',
  'INVALID_CA', 'HOSTNAME_MISMATCH', 'INVALID_PURPOSE',
]);

function kindOfCode(code: string): TransportErrorKind | null {
  if (code === 'ERR_SSRF_BLOCKED') return 'ssrf_blocked';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (DNS_CODES.has(code)) return 'dns';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls';
  return null;
}

/**
 * Maps an error from undici / net / tls / dns to an error kind. Looks through `cause` and
 * `AggregateError.errors` (happy-eyeballs connects fail with one error per address); anything
 * unrecognised is a `connection` failure.
 */
export function classifySendError(err: unknown): { kind: TransportErrorKind; message: string } {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  let kind: TransportErrorKind | null = null;
  let message: string | null = null;
  while (queue.length > 0 && seen.size < 20) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const { code, cause, errors, name, message: text } = current as {
      code?: unknown; cause?: unknown; errors?: unknown; name?: unknown; message?: unknown;
    };
    const found = typeof code === 'string' ? kindOfCode(code) : name === 'TimeoutError' ? 'timeout' : null;
    if (found && (kind === null || found === 'ssrf_blocked')) {
      kind = found;
      message = typeof text === 'string' ? text : null;
    }
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  const fallback = err instanceof Error ? err.message : String(err);
  const text = (message || fallback || 'connection failed').trim().slice(0, 500);
  return { kind: kind ?? 'connection', message: text };
}

/**
 * `lookup` for net/tls.connect that resolves the host, refuses it when ANY of its addresses is
 * blocked, and hands the vetted addresses to the socket, so the address connected to is the
 * address checked (no window for DNS rebinding between check and connect).
 */
function createGuardedLookup(resolve: ResolveHost, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    Promise.resolve(hostname).then(resolve).then(
      (all) => {
        const blocked = allowPrivate ? null : findBlockedAddress(hostname, all.map((a) => a.address));
        if (blocked) return callback(new SsrfBlockedError(blocked), '', 0);
        const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const first = wanted[0];
        if (!first) {
          return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 0);
        }
        if (options.all) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/**
 * The connector of the agent: host names go through the guarded lookup; IP literals (which
 * net.connect never looks up) are checked here; and, as a last line, the peer address of the
 * connected socket is checked again before any byte of the request is written.
 */
function createGuardedConnector(options: Required<Pick<WebhookSenderOptions, 'allowPrivate' | 'connectTimeoutMs' | 'resolve'>>): buildConnector.connector {
  const { allowPrivate, connectTimeoutMs, resolve } = options;
  const connect = buildConnector({
    timeout: connectTimeoutMs,
    allowH2: false,
    lookup: createGuardedLookup(resolve, allowPrivate),
  });
  if (allowPrivate) return connect;

  return (opts, callback) => {
    if (isIP(opts.hostname)) {
      const blocked = findBlockedAddress(opts.hostname, [opts.hostname]);
      if (blocked) {
        queueMicrotask(() => callback(new SsrfBlockedError(blocked), null));
        return;
      }
    }
    return connect(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('connect failed'), null);
      const peer = socket.remoteAddress;
      const blocked = peer ? findBlockedAddress(opts.hostname, [peer]) : `${opts.hostname}: unknown peer address`;
      if (blocked) {
        socket.destroy();
        return callback(new SsrfBlockedError(blocked), null);
      }
      callback(null, socket);
    });
  };
}

/**
 * Reads up to `max` bytes, then stops; whatever is left is discarded with the stream. A body cut
 * short (the attempt's deadline, a reset) keeps what arrived and says why in `cutShort`.
 */
async function readExcerpt(body: Readable, max: number): Promise<{ text: string; received: number; cutShort: string | null }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let cutShort: string | null = null;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > max) break; // leaving the loop destroys the stream (and that connection)
    }
  } catch (err) {
    cutShort = classifySendError(err).kind === 'timeout' ? 'did not finish within the attempt deadline' : 'was cut off (the connection closed)';
  } finally {
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
  return { text: Buffer.concat(chunks).subarray(0, max).toString('utf8'), received: size, cutShort };
}

/**
 * What the attempt records besides the status: a non-2xx names it; a body cut short says so,
 * though the status line alone decides success (the receiver had answered 2xx).
 */
function outcomeMessage(statusCode: number, ok: boolean, body: { received: number; cutShort: string | null }): string | null {
  const status = ok ? null : `HTTP ${statusCode}${statusCode >= 300 && statusCode < 400 ? ' (redirects are not followed)' : ''}`;
  const note = body.cutShort
    ? `the response body ${body.cutShort} after ${body.received} bytes${ok ? '; the 2xx status line counts as success' : ''}.`
    : null;
  if (status && note) return `${status}; ${note}`;
  return status ?? (note && note.charAt(0).toUpperCase() + note.slice(1));
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * One sender per process: a single undici Agent (a keep-alive pool per origin) whose every
 * connection passes the SSRF guard at connect time. Redirects are never followed. A send never
 * throws; it resolves to a `SendOutcome`.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { allowPrivate, timeoutMs = 15_000, connectTimeoutMs = 5_000, maxBodyBytes = 4096 } = options;
  const resolve = options.resolve ?? defaultResolveHost;
  const clock = options.clock ?? systemClock;
  const agent = new Agent({
    connect: createGuardedConnector({ allowPrivate, connectTimeoutMs, resolve }),
    allowH2: false,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  async function send({ url, headers, body }: SendRequest): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failure = (kind: SendErrorKind, message: string): SendOutcome => ({
      ok: false, statusCode: null, durationMs: elapsed(), responseHeaders: null, responseBodyExcerpt: null,
      retryAfterSeconds: null, errorKind: kind, errorMessage: message,
    });

    const parsed = parseWebhookUrl(url, { allowPrivate });
    if (!parsed.ok) return failure('ssrf_blocked', parsed.reason);

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new SendTimeoutError(timeoutMs)), timeoutMs);
    try {
      const response = await agent.request({
        origin: parsed.url.origin,
        path: `${parsed.url.pathname}${parsed.url.search}`,
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
      });
      const responseHeaders = flattenHeaders(response.headers);
      const excerpt = await readExcerpt(response.body, maxBodyBytes);
      const { statusCode } = response;
      const ok = statusCode >= 200 && statusCode < 300;
      return {
        ok,
        statusCode,
        durationMs: elapsed(),
        responseHeaders,
        responseBodyExcerpt: excerpt.text,
        retryAfterSeconds: parseRetryAfter(responseHeaders['retry-after'], clock.now().getTime()),
        errorKind: ok ? null : 'http_status',
        errorMessage: outcomeMessage(statusCode, ok, excerpt),
      };
    } catch (err) {
      const { kind, message } = classifySendError(err);
      return failure(kind, message);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    close: () => agent.close(),
  };
}
