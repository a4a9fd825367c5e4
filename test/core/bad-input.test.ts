import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, type TestAgency } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';

let t: TestApp;
let agency: TestAgency;
beforeAll(async () => {
  t = await createTestApp();
  agency = await createAgency(t.app);
});
afterAll(async () => t.close());

/** Everything a bad request could have changed. */
async function snapshot() {
  const count = async (table: 'agencies' | 'users' | 'sessions' | 'locations' | 'events') =>
    (await t.ctx.db.selectFrom(table).select('id').execute()).length;
  return {
    agencies: await count('agencies'),
    users: await count('users'),
    sessions: await count('sessions'),
    locations: await count('locations'),
    events: await count('events'),
    agency: await t.ctx.services.agencies.getAgency(agency.id),
  };
}

const json = { 'content-type': 'application/json' };
const validAgency = { name: 'Valid Co', tier: 'scale', admin_email: 'valid-co@agency.test', admin_password: 'long-enough-pw' };

/** The JSON-body routes of the operator and portal APIs, each with a body it would accept. */
const routes = (): { name: string; request: InjectOptions; valid: Record<string, unknown> }[] => [
  { name: 'POST /admin/v1/agencies', request: { method: 'POST', url: '/admin/v1/agencies', headers: adminHeaders }, valid: validAgency },
  { name: 'PATCH /admin/v1/agencies/:id', request: { method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders }, valid: { tier: 'enterprise' } },
  {
    name: 'POST /admin/v1/agencies/:id/users',
    request: { method: 'POST', url: `/admin/v1/agencies/${agency.id}/users`, headers: adminHeaders },
    valid: { email: 'new-user@agency.test', password: 'long-enough-pw', role: 'member' },
  },
  { name: 'POST /admin/v1/agencies/:id/simulate', request: { method: 'POST', url: `/admin/v1/agencies/${agency.id}/simulate`, headers: adminHeaders }, valid: { event: 'review.created' } },
  { name: 'POST /portal/api/session', request: { method: 'POST', url: '/portal/api/session' }, valid: { email: agency.email, password: agency.password } },
];

function send(route: ReturnType<typeof routes>[number], headers: Record<string, string>, payload: string | Buffer) {
  return t.app.inject({ ...route.request, headers: { ...(route.request.headers as Record<string, string>), ...headers }, payload });
}

describe('bad input on operator and portal routes: a problem+json answer and no change', () => {
  it('malformed JSON → 400 malformed_json', async () => {
    for (const route of routes()) {
      const before = await snapshot();
      for (const payload of ['{"name": "x",', '{not json}', "{'single': 'quotes'}", '', '{"__proto__": {"admin": true}}']) {
        expectProblem(await send(route, json, payload), 400, 'malformed_json');
      }
      expect(await snapshot(), route.name).toEqual(before);
    }
  });

  it('wrong types are not coerced → 400 validation_failed naming the field', async () => {
    const cases: [number, Record<string, unknown>, string][] = [
      [0, { ...validAgency, tier: 5 }, 'body.tier'],
      [0, { ...validAgency, tier: 'enterprise', api_rate_limit: '10' }, 'body.api_rate_limit'],
      [0, { ...validAgency, name: ['Valid Co'] }, 'body.name'],
      [0, { ...validAgency, admin_email: 'not-an-email' }, 'body.admin_email'],
      [0, { ...validAgency, admin_password: 'short' }, 'body.admin_password'],
      [1, { tier: 'platinum' }, 'body.tier'],
      [1, { api_rate_limit: 1.5 }, 'body.api_rate_limit'],
      [2, { email: 'u@agency.test', password: 'long-enough-pw', role: 'superuser' }, 'body.role'],
      [3, { event: 42 }, 'body.event'],
      [4, { email: agency.email, password: 12345678901 }, 'body.password'],
    ];
    for (const [index, body, path] of cases) {
      const route = routes()[index]!;
      const before = await snapshot();
      const problem = expectProblem(await send(route, json, JSON.stringify(body)), 400, 'validation_failed');
      expect(problem.errors?.map((error) => error.path), `${route.name} ${JSON.stringify(body)}`).toContain(path);
      expect(await snapshot()).toEqual(before);
    }
  });

  it('a missing required field is named', async () => {
    const { admin_password: _omitted, ...body } = validAgency;
    const problem = expectProblem(await send(routes()[0]!, json, JSON.stringify(body)), 400, 'validation_failed');
    expect(problem.errors).toContainEqual({ path: 'body.admin_password', message: 'is required' });
  });

  it('unknown fields → 400 naming them', async () => {
    for (const route of routes()) {
      const before = await snapshot();
      const response = await send(route, json, JSON.stringify({ ...route.valid, is_admin: true }));
      const problem = expectProblem(response, 400, 'validation_failed');
      expect(problem.errors, route.name).toContainEqual({ path: 'body.is_admin', message: expect.stringContaining('not a known field') });
      expect(await snapshot(), route.name).toEqual(before);
    }
  });

  it('an empty PATCH → 400', async () => {
    const before = await snapshot();
    expectProblem(await send(routes()[1]!, json, '{}'), 400, 'validation_failed');
    expect(await snapshot()).toEqual(before);
  });

  it('a body over 1 MiB → 413 payload_too_large', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), tier: 'scale' });
    for (const route of routes()) {
      const before = await snapshot();
      expectProblem(await send(route, json, big), 413, 'payload_too_large');
      expect(await snapshot(), route.name).toEqual(before);
    }
  });

  it('a body that is not JSON (text/plain, form, none declared) → 415 unsupported_media_type', async () => {
    for (const route of routes()) {
      const before = await snapshot();
      const body = JSON.stringify(route.valid);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/plain; charset=utf-8', 'application/xml']) {
        const response = await send(route, { 'content-type': type }, body);
        expectProblem(response, 415, 'unsupported_media_type');
      }
      // A Buffer payload makes inject send no content-type at all.
      const untyped = await t.app.inject({ ...route.request, payload: Buffer.from(body) });
      expectProblem(untyped, 415, 'unsupported_media_type');
      expect(await snapshot(), route.name).toEqual(before);
    }
  });

  it('an unknown route → 404 route_not_found, whatever the method', async () => {
    const cases: InjectOptions[] = [
      { method: 'GET', url: '/admin/v1/nothing-here', headers: adminHeaders },
      { method: 'POST', url: '/admin/v1/agencies/x/explode', headers: adminHeaders, payload: {} },
      { method: 'GET', url: '/portal/api/nothing-here' },
      { method: 'POST', url: '/portal/api/nothing-here', payload: {} },
      { method: 'GET', url: '/api/v1/nothing-here?x=1' },
    ];
    for (const request of cases) {
      const problem = expectProblem(await t.app.inject(request), 404, 'route_not_found');
      expect(problem.instance).toBe(request.url!.toString().split('?')[0]);
    }
  });

  it('a known path with a method it does not take → 405 method_not_allowed with Allow', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/admin/v1/agencies' });
    expectProblem(response, 405, 'method_not_allowed');
    expect(response.headers.allow).toBe('POST');
  });

  it('an id too long for the path schema → 400 naming path.id', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${'a'.repeat(65)}`, headers: adminHeaders });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors?.[0]?.path).toBe('path.id');
  });
});
