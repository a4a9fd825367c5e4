import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, login } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const newAgencyBody = (tag: string, extra: Record<string, unknown> = {}) => ({
  name: `Agency ${tag}`,
  tier: 'scale',
  admin_email: `owner-${tag}@agency.test`,
  admin_password: 'correct-horse-battery',
  ...extra,
});

describe('operator API: agencies', () => {
  it('creates an agency with its owner (201), then reads it back', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/admin/v1/agencies', headers: adminHeaders, payload: newAgencyBody('create') });
    expect(created.statusCode).toBe(201);
    const agency = created.json<{ id: string }>();
    expect(agency).toMatchObject({
      id: expect.stringMatching(/^agy_/),
      name: 'Agency create',
      tier: 'scale',
      api_rate_limit: null,
      effective_api_rate_limit: 1000,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const read = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created.json());

    // The owner can log in to the portal straight away.
    const session = await login(t.app, 'owner-create@agency.test', 'correct-horse-battery');
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } });
    expect(me.json()).toMatchObject({ user: { role: 'owner' }, agency: { id: agency.id } });
  });

  it('accepts a custom api_rate_limit for an enterprise agency', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/agencies',
      headers: adminHeaders,
      payload: newAgencyBody('ent', { tier: 'enterprise', api_rate_limit: 25_000 }),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ tier: 'enterprise', api_rate_limit: 25_000, effective_api_rate_limit: 25_000 });
  });

  it('refuses api_rate_limit below enterprise (400) and creates nothing', async () => {
    const before = await t.ctx.services.agencies.countAgencies();
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/agencies',
      headers: adminHeaders,
      payload: newAgencyBody('not-ent', { tier: 'scale', api_rate_limit: 5000 }),
    });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'body.api_rate_limit', message: expect.any(String) }]);
    expect(await t.ctx.services.agencies.countAgencies()).toBe(before);
  });

  it('changes the tier with PATCH, and the effective limit with it', async () => {
    const agency = await createAgency(t.app, { tier: 'growth' });
    const upgraded = await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders, payload: { tier: 'scale' } });
    expect(upgraded.statusCode).toBe(200);
    expect(upgraded.json()).toMatchObject({ id: agency.id, tier: 'scale', effective_api_rate_limit: 1000 });

    const enterprise = await t.app.inject({
      method: 'PATCH',
      url: `/admin/v1/agencies/${agency.id}`,
      headers: adminHeaders,
      payload: { tier: 'enterprise', api_rate_limit: 50_000 },
    });
    expect(enterprise.json()).toMatchObject({ tier: 'enterprise', api_rate_limit: 50_000, effective_api_rate_limit: 50_000 });

    const read = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders });
    expect(read.json()).toMatchObject({ tier: 'enterprise', api_rate_limit: 50_000 });
  });

  it('drops the custom limit when an enterprise agency moves to a lower tier', async () => {
    const agency = await createAgency(t.app, { tier: 'enterprise', api_rate_limit: 40_000 });
    const downgraded = await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders, payload: { tier: 'scale' } });
    expect(downgraded.statusCode).toBe(200);
    expect(downgraded.json()).toMatchObject({ tier: 'scale', api_rate_limit: null, effective_api_rate_limit: 1000 });
    const back = await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders, payload: { tier: 'enterprise' } });
    expect(back.json()).toMatchObject({ tier: 'enterprise', api_rate_limit: null, effective_api_rate_limit: 10_000 });
  });

  it('refuses a PATCH setting api_rate_limit on a non-enterprise agency, and changes nothing', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const response = await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders, payload: { api_rate_limit: 5000 } });
    expectProblem(response, 400, 'validation_failed');
    const downgrade = await t.app.inject({
      method: 'PATCH',
      url: `/admin/v1/agencies/${agency.id}`,
      headers: adminHeaders,
      payload: { tier: 'growth', api_rate_limit: 5000 },
    });
    expectProblem(downgrade, 400, 'validation_failed');
    const read = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders });
    expect(read.json()).toMatchObject({ tier: 'scale', api_rate_limit: null });
  });

  it('answers 409 to a second agency with an admin email already taken (any letter case)', async () => {
    const first = await t.app.inject({ method: 'POST', url: '/admin/v1/agencies', headers: adminHeaders, payload: newAgencyBody('dup') });
    expect(first.statusCode).toBe(201);
    const before = await t.ctx.services.agencies.countAgencies();
    const second = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/agencies',
      headers: adminHeaders,
      payload: newAgencyBody('dup2', { admin_email: 'OWNER-DUP@agency.test' }),
    });
    expectProblem(second, 409, 'conflict');
    // The agency insert was rolled back with the failed owner insert.
    expect(await t.ctx.services.agencies.countAgencies()).toBe(before);
  });

  it('answers 404 for an unknown agency on every agency route', async () => {
    const id = 'agy_00000000000000000000000000';
    expectProblem(await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${id}`, headers: adminHeaders }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${id}`, headers: adminHeaders, payload: { tier: 'scale' } }), 404, 'not_found');
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${id}/users`, headers: adminHeaders, payload: { email: 'x@agency.test', password: 'long-enough-pw', role: 'member' } }),
      404,
      'not_found',
    );
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${id}/simulate`, headers: adminHeaders, payload: { event: 'review.created' } }),
      404,
      'not_found',
    );
  });
});

describe('operator API: users', () => {
  it('adds a user to an agency (201) who can then log in with that role', async () => {
    const agency = await createAgency(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/agencies/${agency.id}/users`,
      headers: adminHeaders,
      payload: { email: `member-${agency.id}@agency.test`, password: 'member-password', role: 'member', name: 'Mia Member' },
    });
    expect(response.statusCode).toBe(201);
    const user = response.json<{ id: string }>();
    expect(user).toEqual({ id: expect.stringMatching(/^usr_/), email: `member-${agency.id}@agency.test`, name: 'Mia Member', role: 'member' });
    expect(JSON.stringify(user)).not.toContain('password');

    const session = await login(t.app, `member-${agency.id}@agency.test`, 'member-password');
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } });
    expect(me.json()).toMatchObject({ user: { role: 'member', name: 'Mia Member' }, agency: { id: agency.id } });
  });

  it('answers 409 when the email belongs to anyone already', async () => {
    const agency = await createAgency(t.app);
    const other = await createAgency(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/agencies/${agency.id}/users`,
      headers: adminHeaders,
      payload: { email: other.email, password: 'member-password', role: 'admin' },
    });
    expectProblem(response, 409, 'conflict');
  });
});
