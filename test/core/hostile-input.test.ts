import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, login, type PortalLogin, type TestAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { CreateApiKeyBody } from '../../src/domains/api/schemas.ts';
import { CreateAgencyBody, CreateUserBody, LoginBody, UpdateAgencyBody } from '../../src/domains/agencies/schemas.ts';
import { CreateLeadBody, UpdateLeadBody } from '../../src/domains/leads/schemas.ts';
import { CreateSubscriptionBody, RecoverBody, TestSendBody, UpdateSubscriptionBody } from '../../src/domains/webhooks/schemas.ts';
import { TriggerEventBody } from '../../src/domains/testing/schemas.ts';
import { BODY_LIMIT_BYTES, LEAD_BODY_LIMIT_BYTES, SESSION_BODY_LIMIT_BYTES } from '../../src/http/body-limits.ts';
import { MAX_JSON_DEPTH } from '../../src/http/json-body.ts';

/* Bodies and paths built to hurt: deep nesting, oversized bodies, NUL characters, huge path segments. */

let t: TestApp;
let agency: TestAgency;
let session: PortalLogin;
let keyHeaders: Record<string, string>;
let testKeyHeaders: Record<string, string>;
let locationId: string;
let leadId: string;
let subId: string;

beforeAll(async () => {
  t = await createTestApp();
  agency = await createAgency(t.app);
  session = await login(t.app, agency.email, agency.password);
  keyHeaders = (await createApiKey(t.app, agency.id, { scopes: SCOPES })).headers;
  testKeyHeaders = (await createApiKey(t.app, agency.id, { scopes: SCOPES, mode: 'test' })).headers;
  locationId = (await t.ctx.services.locations.create(agency.id, { name: 'North', city: 'Boston' })).id;
  leadId = (await t.ctx.services.leads.create(agency.id, { location_id: locationId, name: 'Cy' })).lead.id;
  const sub = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: keyHeaders, payload: { url: 'https://93.184.215.14/faro', events: ['review.created'] } });
  subId = sub.json<{ id: string }>().id;
});
afterAll(async () => t?.close());

/** Row counts of every table a write could touch. */
async function snapshot() {
  const tables = ['agencies', 'users', 'sessions', 'api_keys', 'leads', 'webhook_subscriptions', 'events'] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = (await t.ctx.db.selectFrom(table).select('id').execute()).length;
  return { counts, lead: await t.ctx.services.leads.get(agency.id, leadId) };
}

const json = { 'content-type': 'application/json' };
const send = (request: InjectOptions, payload: string) =>
  t.app.inject({ ...request, headers: { ...(request.headers as Record<string, string>), ...json }, payload });

/** Like Python's json.dumps default: every non-ASCII character as \u escapes (a surrogate pair for emoji). */
const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('JSON nesting deeper than 32 levels → 400 before it is parsed', () => {
  const login = { method: 'POST' as const, url: '/portal/api/session' };
  const leads = () => ({ method: 'POST' as const, url: '/api/v1/leads', headers: keyHeaders });

  it('refuses 33 levels of arrays or objects, on the open login route and on an authenticated one', async () => {
    const deepObject = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
    for (const request of [login, leads()]) {
      for (const payload of [nested(MAX_JSON_DEPTH + 1), deepObject, nested(3_000), `{"name":${nested(40)}}`]) {
        const problem = expectProblem(await send(request, payload), 400, 'validation_failed');
        expect(problem.errors).toEqual([{ path: 'body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }]);
        expect(problem.detail).toContain('deeper than 32 levels');
      }
    }
  });

  it('lets 32 levels through to the schema, and counts no bracket inside a string', async () => {
    const problem = expectProblem(await send(login, nested(MAX_JSON_DEPTH)), 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'body', message: 'must be an object' }]);
    for (const email of ['['.repeat(200), `a\\"${'{'.repeat(100)}`, `\\\\${'['.repeat(100)}`]) {
      const response = await send(login, `{"email":"${email}","password":"not-the-password"}`);
      expectProblem(response, 401, 'invalid_credentials');
    }
  });

  it('still refuses __proto__ and constructor.prototype keys (secure-json-parse)', async () => {
    for (const payload of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
      expectProblem(await send(login, payload), 400, 'malformed_json');
    }
  });

  it('answers a 1 MiB body of nested arrays on the login route with 413, unread', async () => {
    const problem = expectProblem(await send(login, nested(512 * 1024)), 413, 'payload_too_large');
    expect(problem.detail).toBe(`Request bodies on this endpoint are limited to ${SESSION_BODY_LIMIT_BYTES} bytes.`);
  });
});

describe('per-route body limits, each naming its size', () => {
  const over = (limit: number) => JSON.stringify({ notes: 'x'.repeat(limit) });

  it('login and logout: 8 KiB; the largest valid login fits', async () => {
    const largest = asciiJson({ email: '😀'.repeat(254), password: '😀'.repeat(200) });
    expect(Buffer.byteLength(largest)).toBeGreaterThan(4 * 1024);
    expectProblem(await send({ method: 'POST', url: '/portal/api/session' }, largest), 401, 'invalid_credentials');
    for (const request of [{ method: 'POST' as const, url: '/portal/api/session' }, { method: 'DELETE' as const, url: '/portal/api/session', headers: session.headers }]) {
      const problem = expectProblem(await send(request, over(SESSION_BODY_LIMIT_BYTES)), 413, 'payload_too_large');
      expect(problem.detail).toContain(`limited to ${SESSION_BODY_LIMIT_BYTES} bytes`);
    }
  });

  it('leads: 128 KiB; the largest valid create and update, every character escaped, are accepted', async () => {
    const before = await snapshot();
    const max = (n: number) => '😀'.repeat(n);
    const create = asciiJson({ location_id: locationId, name: max(200), email: `${'e'.repeat(64)}@${'d'.repeat(60)}.example.com`, phone: max(40), source: max(100), status: 'new', value: 9_999_999_999.99, notes: max(10_000) });
    expect(Buffer.byteLength(create)).toBeGreaterThan(LEAD_BODY_LIMIT_BYTES - 8 * 1024);
    const created = await send({ method: 'POST', url: '/api/v1/leads', headers: keyHeaders }, create);
    expect(created.statusCode, created.body).toBe(201);
    const update = await send({ method: 'PATCH', url: `/api/v1/leads/${created.json<{ id: string }>().id}`, headers: keyHeaders }, asciiJson({ status: 'lost', value: null, notes: max(10_000) }));
    expect(update.statusCode, update.body).toBe(200);
    expect((await snapshot()).counts.leads).toBe((before.counts.leads ?? 0) + 1);

    for (const request of [{ method: 'POST' as const, url: '/api/v1/leads', headers: keyHeaders }, { method: 'PATCH' as const, url: `/api/v1/leads/${leadId}`, headers: keyHeaders }]) {
      const problem = expectProblem(await send(request, over(LEAD_BODY_LIMIT_BYTES)), 413, 'payload_too_large');
      expect(problem.detail).toContain(`limited to ${LEAD_BODY_LIMIT_BYTES} bytes`);
    }
  });

  it('everything else: 64 KiB, which the largest webhook subscription fits', async () => {
    const largest = asciiJson({ url: `https://93.184.215.14/${'é'.repeat(2_000)}`, events: ['review.created', 'lead.converted', 'sync.failed', 'message.received', 'conversation.created'], description: '😀'.repeat(500), enabled: true });
    const created = await send({ method: 'POST', url: '/api/v1/webhooks', headers: keyHeaders }, largest);
    expect(created.statusCode, created.body).toBe(201);
    const requests: InjectOptions[] = [
      { method: 'POST', url: '/api/v1/webhooks', headers: keyHeaders },
      { method: 'POST', url: '/portal/api/api-keys', headers: session.headers },
      { method: 'POST', url: '/admin/v1/agencies', headers: adminHeaders },
      { method: 'POST', url: '/no/such/route' },
    ];
    for (const request of requests) {
      const problem = expectProblem(await send(request, over(BODY_LIMIT_BYTES)), 413, 'payload_too_large');
      expect(problem.detail, request.url as string).toContain(`limited to ${BODY_LIMIT_BYTES} bytes`);
    }
  });
});

type Schema = { properties: Record<string, { type?: string; enum?: unknown[]; anyOf?: unknown[]; items?: unknown }> };

const isText = (schema: unknown): boolean => {
  const s = schema as Schema['properties'][string];
  return s.type === 'string' || (s.enum ?? []).some((v) => typeof v === 'string') || (s.anyOf ?? []).some(isText);
};

/** Every text field of a body schema: `name`, or `name[0]` for an array of text. */
const textFields = (schema: Schema) =>
  Object.entries(schema.properties).flatMap(([name, property]) => (isText(property) ? [name] : property.type === 'array' && isText(property.items) ? [`${name}[0]`] : []));

describe('NUL characters → 400 naming the field, never a database error', () => {
  const NUL = 'a\u0000b';
  /** Every route with a writable text field, with a body it would accept; `operation` as in the OpenAPI document. */
  const writeRoutes = (): { operation?: string; request: InjectOptions; schema: Schema; valid: Record<string, unknown> }[] => [
    { request: { method: 'POST', url: '/portal/api/session' }, schema: LoginBody, valid: { email: agency.email, password: agency.password } },
    { request: { method: 'POST', url: '/portal/api/api-keys', headers: session.headers }, schema: CreateApiKeyBody, valid: { name: 'k', scopes: ['leads:read'], expires_at: '2099-01-01T00:00:00Z' } },
    { request: { method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys`, headers: adminHeaders }, schema: CreateApiKeyBody, valid: { name: 'k', scopes: ['leads:read'], expires_at: '2099-01-01T00:00:00Z' } },
    { request: { method: 'POST', url: '/admin/v1/agencies', headers: adminHeaders }, schema: CreateAgencyBody, valid: { name: 'N', tier: 'scale', admin_email: 'n@agency.test', admin_password: 'long-enough-pw' } },
    { request: { method: 'PATCH', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders }, schema: UpdateAgencyBody, valid: { tier: 'scale' } },
    { request: { method: 'POST', url: `/admin/v1/agencies/${agency.id}/users`, headers: adminHeaders }, schema: CreateUserBody, valid: { email: 'u@agency.test', password: 'long-enough-pw', role: 'member', name: 'U' } },
    { request: { method: 'POST', url: `/admin/v1/agencies/${agency.id}/simulate`, headers: adminHeaders }, schema: { properties: { event: { type: 'string' } } }, valid: { event: 'review.created' } },
    { operation: 'POST /api/v1/leads', request: { method: 'POST', url: '/api/v1/leads', headers: keyHeaders }, schema: CreateLeadBody, valid: { location_id: locationId, name: 'N', email: 'n@x.test', phone: '555', source: 's', status: 'new', notes: 'n' } },
    { operation: 'PATCH /api/v1/leads/{id}', request: { method: 'PATCH', url: `/api/v1/leads/${leadId}`, headers: keyHeaders }, schema: UpdateLeadBody, valid: { status: 'lost', notes: 'n' } },
    { operation: 'POST /api/v1/webhooks', request: { method: 'POST', url: '/api/v1/webhooks', headers: keyHeaders }, schema: CreateSubscriptionBody, valid: { url: 'https://93.184.215.14/x', events: ['review.created'], description: 'd' } },
    { operation: 'PATCH /api/v1/webhooks/{id}', request: { method: 'PATCH', url: `/api/v1/webhooks/${subId}`, headers: keyHeaders }, schema: UpdateSubscriptionBody, valid: { url: 'https://93.184.215.14/x', events: ['review.created'], description: 'd' } },
    { operation: 'POST /api/v1/webhooks/{id}/test', request: { method: 'POST', url: `/api/v1/webhooks/${subId}/test`, headers: keyHeaders }, schema: TestSendBody, valid: { event_type: 'webhook.test' } },
    { operation: 'POST /api/v1/test/events', request: { method: 'POST', url: '/api/v1/test/events', headers: testKeyHeaders }, schema: TriggerEventBody, valid: { type: 'review.created' } },
    { operation: 'POST /api/v1/webhooks/{id}/recover', request: { method: 'POST', url: `/api/v1/webhooks/${subId}/recover`, headers: keyHeaders }, schema: RecoverBody, valid: { since: new Date().toISOString() } },
  ];

  it('in every text field of every write route', async () => {
    const before = await snapshot();
    let checked = 0;
    for (const route of writeRoutes()) {
      const fields = textFields(route.schema);
      expect(fields.length, route.request.url as string).toBeGreaterThan(0);
      for (const field of fields) {
        const body: Record<string, unknown> = structuredClone(route.valid);
        if (field.endsWith('[0]')) body[field.slice(0, -3)] = [NUL];
        else body[field] = NUL;
        const problem = expectProblem(await send(route.request, JSON.stringify(body)), 400, 'validation_failed');
        expect(problem.errors, `${route.request.method} ${route.request.url} ${field}`).toEqual([{ path: `body.${field}`, message: 'must not contain NUL characters (\\u0000)' }]);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(35);
    expect(await snapshot()).toEqual(before);
  });

  it('the list covers every public operation that takes a body', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>();
    const withBody = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).filter(([, operation]) => operation.requestBody).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(withBody.length).toBeGreaterThan(0);
    expect(writeRoutes().map((route) => route.operation).filter(Boolean)).toEqual(expect.arrayContaining(withBody));
  });

  it('in nested values, keys, query strings and path parameters too', async () => {
    const cases: [InjectOptions, string][] = [
      [{ method: 'POST', url: '/api/v1/webhooks', headers: { ...keyHeaders, ...json }, payload: JSON.stringify({ url: 'https://93.184.215.14/x', events: ['review.created', NUL] }) }, 'body.events[1]'],
      [{ method: 'POST', url: '/api/v1/leads', headers: { ...keyHeaders, ...json }, payload: JSON.stringify({ location_id: locationId, name: 'N', [NUL]: 1 }) }, 'body.a\\u0000b'],
      [{ method: 'GET', url: '/api/v1/leads?location_id=loc_%00', headers: keyHeaders }, 'query.location_id'],
      [{ method: 'GET', url: '/api/v1/webhooks?cursor=%00', headers: keyHeaders }, 'query.cursor'],
      [{ method: 'GET', url: '/api/v1/leads/lead_%00', headers: keyHeaders }, 'path.id'],
    ];
    for (const [request, path] of cases) {
      const problem = expectProblem(await t.app.inject(request), 400, 'validation_failed');
      expect(problem.errors, request.url as string).toEqual([{ path, message: 'must not contain NUL characters (\\u0000)' }]);
    }
  });
});

describe('hostile paths → 404 or 400 problem+json, never 500', () => {
  it('answers huge segments, dot segments, NUL and broken percent-encoding without an internal error', async () => {
    const long = 'a'.repeat(600);
    const paths = [
      `/${long}`,
      `/${'a'.repeat(5_000)}`,
      `/${long}.js`,
      `/assets/${long}`,
      `/assets/${long}.css`,
      `/docs/${long}`,
      `/docs/static/${long}`,
      `/api/v1/${long}`,
      `/api/v1/leads/lead_${long}`,
      `/portal/api/api-keys/${long}`,
      `/admin/v1/agencies/${long}`,
      `/settings/${long}/x.png`,
      '//etc/passwd',
      '/assets//x.js',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/a%00b',
      '/assets/x%00.js',
      '/%ff',
      '/assets/%c0%af',
    ];
    for (const url of paths) {
      for (const method of ['GET', 'HEAD', 'POST'] as const) {
        const response = await t.app.inject({ method, url });
        expect([400, 404], `${method} ${url.slice(0, 60)} → ${response.statusCode} ${response.body.slice(0, 200)}`).toContain(response.statusCode);
        if (method !== 'HEAD') expect(response.headers['content-type'], url).toContain('application/problem+json');
      }
    }
  });
});
