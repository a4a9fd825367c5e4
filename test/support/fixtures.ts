import { randomBytes } from 'node:crypto';
import type { Tier } from '../../src/db/types.ts';
import type { App } from '../../src/http/app-type.ts';
import { TEST_ADMIN_TOKEN } from './app.ts';

export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

export interface TestAgency {
  id: string;
  tier: Tier;
  email: string;
  password: string;
}

/** Create an agency (and its owner) through the operator API, as FARO staff would. */
export async function createAgency(app: App, options: { tier?: Tier; name?: string; api_rate_limit?: number } = {}): Promise<TestAgency> {
  const tag = randomBytes(4).toString('hex');
  const email = `owner-${tag}@agency.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const tier = options.tier ?? 'scale';
  const response = await app.inject({
    method: 'POST',
    url: '/admin/v1/agencies',
    headers: adminHeaders,
    payload: { name: options.name ?? `Agency ${tag}`, tier, admin_email: email, admin_password: password, ...(options.api_rate_limit ? { api_rate_limit: options.api_rate_limit } : {}) },
  });
  if (response.statusCode !== 201) throw new Error(`createAgency failed: ${response.statusCode} ${response.body}`);
  return { id: response.json<{ id: string }>().id, tier, email, password };
}

export interface PortalLogin {
  cookie: string;
  csrf: string;
  /** Headers for a state-changing portal request. */
  headers: Record<string, string>;
}

export async function login(app: App, email: string, password: string): Promise<PortalLogin> {
  const response = await app.inject({ method: 'POST', url: '/portal/api/session', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.find((c) => c.name === 'faro_session');
  if (!cookie) throw new Error('no session cookie');
  const csrf = response.json<{ csrf_token: string }>().csrf_token;
  const cookieHeader = `faro_session=${cookie.value}`;
  return { cookie: cookieHeader, csrf, headers: { cookie: cookieHeader, 'x-csrf-token': csrf } };
}

/** A new agency and its owner, signed in to the portal. */
export async function agencyWithOwner(app: App, options: { tier?: Tier; api_rate_limit?: number } = {}): Promise<{ agency: TestAgency; owner: PortalLogin }> {
  const agency = await createAgency(app, options);
  return { agency, owner: await login(app, agency.email, agency.password) };
}

/** Add a member (not an owner) to an agency through the operator API, signed in to the portal. */
export async function addMember(app: App, agencyId: string): Promise<PortalLogin> {
  const email = `member-${randomBytes(4).toString('hex')}@agency.test`;
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

/** Change an agency's plan (and, when given, its hourly API limit; null clears it) as the operator. */
export async function setTier(app: App, agencyId: string, tier: Tier, apiRateLimit?: number | null): Promise<void> {
  const response = await app.inject({
    method: 'PATCH',
    url: `/admin/v1/agencies/${agencyId}`,
    headers: adminHeaders,
    payload: { tier, ...(apiRateLimit !== undefined ? { api_rate_limit: apiRateLimit } : {}) },
  });
  if (response.statusCode !== 200) throw new Error(`setTier failed: ${response.statusCode} ${response.body}`);
}

/** Make a domain event happen for an agency (the operator simulate endpoint). */
export async function simulate(app: App, agencyId: string, event: string): Promise<{ event_id: string; resource: Record<string, unknown> }> {
  const response = await app.inject({ method: 'POST', url: `/admin/v1/agencies/${agencyId}/simulate`, headers: adminHeaders, payload: { event } });
  if (response.statusCode !== 201) throw new Error(`simulate failed: ${response.statusCode} ${response.body}`);
  return response.json();
}
