import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Tier } from '../../src/db/types.ts';
import type { App } from '../../src/http/app-type.ts';
import { adminHeaders, createAgency, login, type PortalLogin, type TestAgency } from '../support/fixtures.ts';

/** A GET any key with locations:read may call; the probe for authentication and rate limits. */
export const PROBE = '/api/v1/locations';

export interface NewKey {
  id: string;
  key: string;
  status: string;
  [field: string]: unknown;
}

export async function agencyWithOwner(app: App, options: { tier?: Tier; api_rate_limit?: number } = {}): Promise<{ agency: TestAgency; owner: PortalLogin }> {
  const agency = await createAgency(app, options);
  return { agency, owner: await login(app, agency.email, agency.password) };
}

export async function createKey(app: App, owner: PortalLogin, body: Record<string, unknown> = {}): Promise<NewKey> {
  const response = await app.inject({
    method: 'POST',
    url: '/portal/api/api-keys',
    headers: owner.headers,
    payload: { name: 'Integration', scopes: ['locations:read'], ...body },
  });
  if (response.statusCode !== 201) throw new Error(`createKey failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

export async function addMember(app: App, agencyId: string): Promise<PortalLogin> {
  const email = `member-${Math.random().toString(36).slice(2)}@agency.test`;
  const password = 'member-password-1';
  const response = await app.inject({
    method: 'POST',
    url: `/admin/v1/agencies/${agencyId}/users`,
    headers: adminHeaders,
    payload: { email, password, role: 'member' },
  });
  if (response.statusCode !== 201) throw new Error(`addMember failed: ${response.statusCode} ${response.body}`);
  return login(app, email, password);
}

export async function setTier(app: App, agencyId: string, tier: Tier, apiRateLimit?: number | null): Promise<void> {
  const response = await app.inject({
    method: 'PATCH',
    url: `/admin/v1/agencies/${agencyId}`,
    headers: adminHeaders,
    payload: { tier, ...(apiRateLimit !== undefined ? { api_rate_limit: apiRateLimit } : {}) },
  });
  if (response.statusCode !== 200) throw new Error(`setTier failed: ${response.statusCode} ${response.body}`);
}

export function withKey(key: string, url = PROBE) {
  return { method: 'GET' as const, url, headers: { authorization: `Bearer ${key}` } };
}

export function problemCode(response: LightMyRequestResponse): string {
  return response.json<{ code: string }>().code;
}

/** Retry `check` until it holds or `withinMs` passes (real time); returns whether it held. */
export async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Assert a problem+json response with this status and code; returns the body. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const body = response.json<Record<string, unknown>>();
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}
