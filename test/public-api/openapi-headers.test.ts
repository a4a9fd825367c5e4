import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { generateApiKey } from '../../src/domains/api/key-format.ts';
import { UNKNOWN_KEYS_PER_ADDRESS } from '../../src/domains/api/rate-limit-policy.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createApiKey } from '../support/api-keys.ts';
import { createAgency, setTier } from '../support/fixtures.ts';

/**
 * The headers the spec marks `required: true` on a response are on every such response the
 * service gives, and the ones it leaves optional are really absent sometimes: checked on real
 * answers of each status against the document the app serves.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RATE_LIMIT = ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
const NEVER_ISSUED_LOCATION = 'loc_01jd5m0d9d6v3fw8p3n4q7r2s1';

let t: TestApp;
let spec: Json;
let all: Record<string, string>;
let locationId: string;

beforeAll(async () => {
  t = await createTestApp();
  spec = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
  const agency = await createAgency(t.app);
  all = { authorization: `Bearer ${(await createApiKey(t.app, agency.id, { scopes: SCOPES })).key}` };
  locationId = (await t.ctx.services.locations.create(agency.id, { name: 'North' })).id;
});
afterAll(async () => t?.close());

const resolve = (value: Json): Json => (typeof value.$ref === 'string' ? value.$ref.slice(2).split('/').reduce((node: Json, key: string) => node[key], spec) : value);

/**
 * Assert that `response`, an answer of `method path` (as the spec spells the path), carries every
 * header its documented response requires. Returns the required and the optional header names.
 */
function expectDocumentedHeaders(response: LightMyRequestResponse, method: string, path: string): { required: string[]; optional: string[] } {
  const status = String(response.statusCode);
  const where = `${method} ${path} ${status}`;
  const responses = spec.paths[path]?.[method.toLowerCase()]?.responses as Json | undefined;
  const documented = responses?.[status] ?? responses?.[`${status[0]}XX`];
  expect(documented, `${where} is documented`).toBeDefined();
  const headers = Object.entries((resolve(documented).headers ?? {}) as Json).map(([name, header]) => [name, resolve(header)] as const);
  const required = headers.filter(([, header]) => header.required === true).map(([name]) => name);
  for (const name of required) expect(response.headers[name.toLowerCase()], `${where}: ${name}`).toBeDefined();
  return { required, optional: headers.filter(([, header]) => header.required !== true).map(([name]) => name) };
}

describe('headers the spec requires are always sent', () => {
  it('2xx: Request-Id and the rate-limit state', async () => {
    const list = await t.app.inject({ url: '/api/v1/locations', headers: all });
    expect(list.statusCode).toBe(200);
    expect(expectDocumentedHeaders(list, 'GET', '/api/v1/locations').required).toEqual(['Request-Id', ...RATE_LIMIT, 'Faro-Mode']);
    expect(list.headers['faro-mode']).toBe('live');

    const lead = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...all, 'idempotency-key': 'headers-1' }, payload: { location_id: locationId, name: 'Kim' } });
    expect(lead.statusCode).toBe(201);
    expect(expectDocumentedHeaders(lead, 'POST', '/api/v1/leads')).toEqual({ required: ['Request-Id', ...RATE_LIMIT, 'Faro-Mode'], optional: ['Idempotent-Replayed'] });
    const replayed = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...all, 'idempotency-key': 'headers-1' }, payload: { location_id: locationId, name: 'Kim' } });
    expectDocumentedHeaders(replayed, 'POST', '/api/v1/leads');
    expect(replayed.headers['idempotent-replayed']).toBe('true');

    const subscription = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: all, payload: { url: 'https://127.0.0.1/hook', events: ['*'] } });
    expect(subscription.statusCode).toBe(201);
    expectDocumentedHeaders(subscription, 'POST', '/api/v1/webhooks');
    const id = subscription.json<{ id: string }>().id;
    await t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${id}`, headers: all, payload: { enabled: false } });
    const conflict = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${id}/recover`, headers: all, payload: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(conflict.statusCode).toBe(409);
    expect(expectDocumentedHeaders(conflict, 'POST', '/api/v1/webhooks/{id}/recover').optional).toEqual(['Retry-After']);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: all });
    expect(deleted.statusCode).toBe(204);
    expectDocumentedHeaders(deleted, 'DELETE', '/api/v1/webhooks/{id}');
  });

  it('4xx of a recognised key: Request-Id and the rate-limit state', async () => {
    const cases: [LightMyRequestResponse, string, string, number][] = [
      [await t.app.inject({ url: '/api/v1/locations?limit=0', headers: all }), 'GET', '/api/v1/locations', 400],
      [await t.app.inject({ url: `/api/v1/locations/${NEVER_ISSUED_LOCATION}`, headers: all }), 'GET', '/api/v1/locations/{id}', 404],
      [await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...all, 'content-type': 'text/plain' }, payload: 'name=Kim' }), 'POST', '/api/v1/leads', 415],
      [await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: all, payload: { name: 'x'.repeat(200 * 1024) } }), 'POST', '/api/v1/leads', 413],
      [await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...all, 'idempotency-key': 'headers-1' }, payload: { location_id: locationId, name: 'Lee' } }), 'POST', '/api/v1/leads', 422],
    ];
    for (const [response, method, path, status] of cases) {
      expect(response.statusCode, `${method} ${path}`).toBe(status);
      expect(expectDocumentedHeaders(response, method, path).required).toEqual(['Request-Id', ...RATE_LIMIT]);
    }
  });

  it('401: Request-Id and the challenge, and no rate-limit state', async () => {
    for (const headers of [{}, { authorization: 'Bearer faro_live_not-a-key' }, { authorization: `Bearer ${generateApiKey().key}` }]) {
      const response = await t.app.inject({ url: '/api/v1/reviews', headers });
      expect(response.statusCode).toBe(401);
      expect(expectDocumentedHeaders(response, 'GET', '/api/v1/reviews').required).toEqual(['Request-Id', 'WWW-Authenticate']);
      expect(response.headers.ratelimit).toBeUndefined();
    }
  });

  it('403: the rate-limit state always, the challenge when the key lacks the scope', async () => {
    const agency = await createAgency(t.app);
    const narrow = await createApiKey(t.app, agency.id, { scopes: ['locations:read'] });
    // Not used before the plan changes, so its first lookup sees the new plan.
    const idle = await createApiKey(t.app, agency.id);
    const scope = await t.app.inject({ url: '/api/v1/reviews', headers: narrow.headers });
    expect(scope.statusCode).toBe(403);
    const documented = expectDocumentedHeaders(scope, 'GET', '/api/v1/reviews');
    expect(documented).toEqual({ required: ['Request-Id', ...RATE_LIMIT], optional: ['WWW-Authenticate'] });
    expect(scope.headers['www-authenticate']).toBe('Bearer realm="FARO API", error="insufficient_scope", scope="reviews:read"');

    await setTier(t.app, agency.id, 'growth');
    const tier = await t.app.inject({ url: '/api/v1/locations', headers: idle.headers });
    expect(tier.json<{ code: string }>().code).toBe('tier_required');
    expectDocumentedHeaders(tier, 'GET', '/api/v1/locations');
    expect(tier.headers['www-authenticate']).toBeUndefined();
  });

  it('429: Retry-After always; the rate-limit state unless no key was recognised', async () => {
    const small = await createAgency(t.app, { tier: 'enterprise', api_rate_limit: 1 });
    const key = await createApiKey(t.app, small.id);
    expect((await t.app.inject({ url: '/api/v1/locations', headers: key.headers })).statusCode).toBe(200);
    const limited = await t.app.inject({ url: '/api/v1/locations', headers: key.headers });
    expect(limited.json<{ code: string }>().code).toBe('rate_limited');
    const documented = expectDocumentedHeaders(limited, 'GET', '/api/v1/locations');
    expect(documented).toEqual({ required: ['Request-Id', 'Retry-After'], optional: RATE_LIMIT });
    for (const name of RATE_LIMIT) expect(limited.headers[name.toLowerCase()], name).toBeDefined();

    const guess = () => t.app.inject({ url: '/api/v1/locations', headers: { authorization: `Bearer ${generateApiKey().key}` }, remoteAddress: '198.51.100.9' });
    for (let i = 0; i < UNKNOWN_KEYS_PER_ADDRESS; i++) await guess();
    const throttled = await guess();
    expect(throttled.json<{ code: string }>().code).toBe('auth_throttled');
    expectDocumentedHeaders(throttled, 'GET', '/api/v1/locations');
    for (const name of RATE_LIMIT) expect(throttled.headers[name.toLowerCase()], name).toBeUndefined();
  });
});
