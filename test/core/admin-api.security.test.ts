import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../support/app.ts';
import { createAgency, login, type TestAgency } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';

let t: TestApp;
let agency: TestAgency;
beforeAll(async () => {
  t = await createTestApp();
  agency = await createAgency(t.app);
});
afterAll(async () => t.close());

const body = { name: 'Sneaky', tier: 'enterprise', admin_email: 'sneaky@agency.test', admin_password: 'sneaky-password' };

describe('operator API authentication', () => {
  const routes = () => [
    { method: 'POST' as const, url: '/admin/v1/agencies', payload: body },
    { method: 'GET' as const, url: `/admin/v1/agencies/${agency.id}` },
    { method: 'PATCH' as const, url: `/admin/v1/agencies/${agency.id}`, payload: { tier: 'enterprise' } },
    { method: 'POST' as const, url: `/admin/v1/agencies/${agency.id}/users`, payload: { email: 'u@agency.test', password: 'long-enough-pw', role: 'owner' } },
    { method: 'POST' as const, url: `/admin/v1/agencies/${agency.id}/simulate`, payload: { event: 'review.created' } },
  ];

  const badHeaders: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }],
    ['the token with one character changed', { authorization: `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}X` }],
    ['a token prefix', { authorization: `Bearer ${TEST_ADMIN_TOKEN.slice(0, 8)}` }],
    ['the token without the Bearer scheme', { authorization: TEST_ADMIN_TOKEN }],
    ['the token as Basic credentials', { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ];

  it.each(badHeaders)('refuses %s on every operator route with 401 invalid_admin_token', async (_label, headers) => {
    for (const route of routes()) {
      const response = await t.app.inject({ ...route, headers });
      expectProblem(response, 401, 'invalid_admin_token');
    }
  });

  it('changes nothing when the token is refused', async () => {
    const before = await t.ctx.services.agencies.countAgencies();
    await t.app.inject({ method: 'POST', url: '/admin/v1/agencies', headers: { authorization: 'Bearer nope' }, payload: body });
    await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: { authorization: 'Bearer nope' }, payload: { tier: 'enterprise' } });
    await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/simulate`, headers: { authorization: 'Bearer nope' }, payload: { event: 'review.created' } });
    expect(await t.ctx.services.agencies.countAgencies()).toBe(before);
    expect((await t.ctx.services.agencies.getAgency(agency.id)).tier).toBe('scale');
    expect(await t.ctx.db.selectFrom('events').select('id').where('agency_id', '=', agency.id).execute()).toEqual([]);
  });

  it('checks the token before the body: a bad body without a token is 401, not 400', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/admin/v1/agencies', payload: { nonsense: true } });
    expectProblem(response, 401, 'invalid_admin_token');
  });

  it('does not accept a portal session in place of the token', async () => {
    const session = await login(t.app, agency.email, agency.password);
    const response = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: session.headers });
    expectProblem(response, 401, 'invalid_admin_token');
  });

  it('accepts the token with the scheme in any letter case', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: { authorization: `bearer ${TEST_ADMIN_TOKEN}` } });
    expect(response.statusCode).toBe(200);
  });
});
