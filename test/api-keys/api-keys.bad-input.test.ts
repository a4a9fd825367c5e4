import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, agencyWithOwner, type PortalLogin } from '../support/fixtures.ts';
import { createApiKey, type NewKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

let t: TestApp;
let owner: PortalLogin;
let agencyId: string;
let key: NewKey;
let foreignKey: NewKey;

beforeAll(async () => {
  t = await createTestApp();
  const mine = await agencyWithOwner(t.app, { tier: 'enterprise', api_rate_limit: 500 });
  owner = mine.owner;
  agencyId = mine.agency.id;
  key = await createApiKey(t.app, owner);
  const other = await agencyWithOwner(t.app);
  foreignKey = await createApiKey(t.app, other.owner);
});
afterAll(async () => {
  await t?.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = owner.headers) =>
  t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

function expectFieldError(response: Awaited<ReturnType<typeof post>>, path: string) {
  const problem = expectProblem(response, 400, 'validation_failed');
  expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
}

const future = () => new Date(Date.now() + 86_400_000).toISOString();

describe('generating a key rejects bad input', () => {
  const url = '/portal/api/api-keys';
  const valid = { name: 'ok', scopes: ['locations:read'] };

  it.each([
    ['an unknown field', { ...valid, admin: true }, 'body.admin'],
    ['a missing name', { scopes: ['locations:read'] }, 'body.name'],
    ['a blank name', { ...valid, name: '   ' }, 'body.name'],
    ['a name too long', { ...valid, name: 'x'.repeat(101) }, 'body.name'],
    ['a name of the wrong type', { ...valid, name: 5 }, 'body.name'],
    ['scopes as a string', { ...valid, scopes: 'locations:read' }, 'body.scopes'],
    ['no scopes', { ...valid, scopes: [] }, 'body.scopes'],
    ['an unknown scope', { ...valid, scopes: ['admin:all'] }, 'body.scopes[0]'],
    ['a repeated scope', { ...valid, scopes: ['leads:read', 'leads:read'] }, 'body.scopes'],
    ['expires_at not a date-time', { ...valid, expires_at: 'tomorrow' }, 'body.expires_at'],
    ['expires_at in the past', { ...valid, expires_at: '2020-01-01T00:00:00Z' }, 'body.expires_at'],
    ['rate_limit as a string', { ...valid, rate_limit: '5' }, 'body.rate_limit'],
    ['rate_limit zero', { ...valid, rate_limit: 0 }, 'body.rate_limit'],
    ['rate_limit above the agency’s', { ...valid, rate_limit: 501 }, 'body.rate_limit'],
  ])('%s', async (_label, body, path) => {
    expectFieldError(await post(url, body), path);
  });

  it('malformed JSON', async () => {
    expectProblem(await post(url, '{"name": "x",'), 400, 'malformed_json');
  });

  it('a per-key rate_limit below Enterprise', async () => {
    const scale = await agencyWithOwner(t.app, { tier: 'scale' });
    expectFieldError(await post(url, { ...valid, rate_limit: 10 }, scale.owner.headers), 'body.rate_limit');
  });

  it('accepts a valid expiry and an Enterprise key limit within the agency’s', async () => {
    const response = await post(url, { ...valid, expires_at: future(), rate_limit: 500 });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ status: 'expiring', rate_limit: 500, custom_rate_limit: 500 });
  });
});

describe('rotating, revoking and reading a key reject bad input', () => {
  const rotate = (id: string) => `/portal/api/api-keys/${id}/rotate`;

  it.each([
    ['a negative grace period', { grace_period_seconds: -1 }],
    ['a grace period over 7 days', { grace_period_seconds: 604_801 }],
    ['a grace period as a string', { grace_period_seconds: '60' }],
    ['a fractional grace period', { grace_period_seconds: 1.5 }],
    ['an unknown field', { grace: 60 }],
  ])('rotate with %s', async (_label, body) => {
    expectProblem(await post(rotate(key.id), body), 400, 'validation_failed');
  });

  it('rotate and revoke with malformed JSON or a non-object body', async () => {
    expectProblem(await post(rotate(key.id), '{'), 400, 'malformed_json');
    expectProblem(await post(`/portal/api/api-keys/${key.id}/revoke`, '[1'), 400, 'malformed_json');
    expectProblem(await post(`/portal/api/api-keys/${key.id}/revoke`, { reason: 'x' }), 400, 'validation_failed');
    expectProblem(await post(rotate(key.id), []), 400, 'validation_failed');
  });

  it.each([
    ['another agency’s key', () => foreignKey.id],
    ['a key that does not exist', () => 'key_00000000000000000000000000'],
    ['something that is not a key id', () => 'loc_00000000000000000000000000'],
  ])('%s is a 404 on every endpoint', async (_label, id) => {
    const target = id();
    expectProblem(await t.app.inject({ method: 'GET', url: `/portal/api/api-keys/${target}`, headers: owner.headers }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: `/portal/api/api-keys/${target}/usage`, headers: owner.headers }), 404, 'not_found');
    expectProblem(await post(rotate(target), {}), 404, 'not_found');
    expectProblem(await post(`/portal/api/api-keys/${target}/revoke`, {}), 404, 'not_found');
    expectProblem(await post(`/admin/v1/agencies/${agencyId}/api-keys/${target}/revoke`, {}, adminHeaders), 404, 'not_found');
  });

  it('the audit log rejects a bad limit or cursor', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?limit=0', headers: owner.headers }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?cursor=nope', headers: owner.headers }), 400, 'invalid_cursor');
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?sort=asc', headers: owner.headers }), 400, 'validation_failed');
  });
});

describe('operator key routes reject bad input', () => {
  it('unknown agency, missing token, bad body, plan below Scale', async () => {
    const body = { name: 'op', scopes: ['locations:read'] };
    expectProblem(await post('/admin/v1/agencies/agy_00000000000000000000000000/api-keys', body, adminHeaders), 404, 'not_found');
    expectProblem(await post(`/admin/v1/agencies/${agencyId}/api-keys`, body, {}), 401, 'invalid_admin_token');
    expectProblem(await post(`/admin/v1/agencies/${agencyId}/api-keys`, { ...body, created_by: 'me' }, adminHeaders), 400, 'validation_failed');
    expectProblem(await post(`/admin/v1/agencies/${agencyId}/api-keys`, '{', adminHeaders), 400, 'malformed_json');
    const growth = await agencyWithOwner(t.app, { tier: 'growth' });
    const refused = expectProblem(await post(`/admin/v1/agencies/${growth.agency.id}/api-keys`, body, adminHeaders), 403, 'tier_required');
    expect(refused.required_tier).toBe('scale');
    // Revoking another agency's key through this agency's path is a 404 and leaves the key alone.
    expectProblem(await post(`/admin/v1/agencies/${agencyId}/api-keys/${foreignKey.id}/revoke`, {}, adminHeaders), 404, 'not_found');
  });
});
