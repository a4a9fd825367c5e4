import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addMember, agencyWithOwner, type PortalLogin } from '../support/fixtures.ts';
import { createApiKey, type NewKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

let t: TestApp;
let owner: PortalLogin;
let member: PortalLogin;
let key: NewKey;

beforeAll(async () => {
  t = await createTestApp();
  const agency = await agencyWithOwner(t.app);
  owner = agency.owner;
  member = await addMember(t.app, agency.agency.id);
  key = await createApiKey(t.app, owner);
});
afterAll(async () => {
  await t?.close();
});

const reads = () => ['/portal/api/api-keys', '/portal/api/api-keys/scopes', `/portal/api/api-keys/${key.id}`, `/portal/api/api-keys/${key.id}/usage`];
const writes = (): Array<[string, Record<string, unknown>]> => [
  ['/portal/api/api-keys', { name: 'x', scopes: ['locations:read'] }],
  [`/portal/api/api-keys/${key.id}/rotate`, { grace_period_seconds: 60 }],
  [`/portal/api/api-keys/${key.id}/revoke`, {}],
];

describe('portal API key routes: who may do what', () => {
  it('a member can read everything but change nothing (403 forbidden, even with a valid CSRF token)', async () => {
    for (const url of reads()) {
      const response = await t.app.inject({ method: 'GET', url, headers: member.headers });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    }
    for (const [url, payload] of writes()) {
      expectProblem(await t.app.inject({ method: 'POST', url, headers: member.headers, payload }), 403, 'forbidden');
    }
    const unchanged = await t.app.inject({ method: 'GET', url: `/portal/api/api-keys/${key.id}`, headers: owner.headers });
    expect(unchanged.json()).toMatchObject({ status: 'active', replaced_by: null });
  });

  it('a write without the CSRF token, or with a wrong one, is 403 csrf_failed', async () => {
    for (const [url, payload] of writes()) {
      expectProblem(await t.app.inject({ method: 'POST', url, headers: { cookie: owner.cookie }, payload }), 403, 'csrf_failed');
      expectProblem(await t.app.inject({ method: 'POST', url, headers: { cookie: owner.cookie, 'x-csrf-token': `${owner.csrf}x` }, payload }), 403, 'csrf_failed');
    }
  });

  it('without a session every route is 401 invalid_session, before the body is even looked at', async () => {
    for (const url of reads()) expectProblem(await t.app.inject({ method: 'GET', url }), 401, 'invalid_session');
    for (const [url] of writes()) expectProblem(await t.app.inject({ method: 'POST', url, payload: { junk: true } }), 401, 'invalid_session');
  });

  it('an agency below Scale gets 403 tier_required naming the plan it needs', async () => {
    const growth = await agencyWithOwner(t.app, { tier: 'growth' });
    for (const url of reads()) {
      const problem = expectProblem(await t.app.inject({ method: 'GET', url, headers: growth.owner.headers }), 403, 'tier_required');
      expect(problem.required_tier).toBe('scale');
    }
    for (const [url, payload] of writes()) {
      expectProblem(await t.app.inject({ method: 'POST', url, headers: growth.owner.headers, payload }), 403, 'tier_required');
    }
  });

  it('lists the scopes with their descriptions', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/portal/api/api-keys/scopes', headers: owner.headers });
    const scopes = response.json<{ data: Array<{ scope: string; description: string }> }>().data;
    expect(scopes.map((s) => s.scope)).toEqual([
      'locations:read',
      'conversations:read',
      'messages:read',
      'reviews:read',
      'leads:read',
      'leads:write',
      'webhooks:read',
      'webhooks:write',
      'events:read',
      'audit:read',
      'usage:read',
    ]);
    expect(scopes.every((s) => s.description.length > 0)).toBe(true);
  });
});
