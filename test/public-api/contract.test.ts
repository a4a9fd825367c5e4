// The live contract suite: every public operation called the ways integrators call it (and get it
// wrong), each response checked against the OpenAPI document the service serves. A status the
// operation does not declare, a body that does not validate against its schema, or a required
// header missing fails the case; the last test fails if any declared status was never produced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createApiKey } from '../support/api-keys.ts';
import { adminHeaders, createAgency } from '../support/fixtures.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { createContractChecker, type ContractChecker, type HttpMethod } from '../support/contract.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { seedAgency, type Seeded } from './support.ts';
import { insertDelivery } from '../webhooks/support.ts';
import { newId } from '../../src/lib/ids.ts';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS, fingerprintRequest } from '../../src/domains/idempotency/service.ts';
import { MAX_SUBSCRIPTIONS_PER_AGENCY } from '../../src/domains/webhooks/schemas.ts';
import { LEAD_BODY_LIMIT_BYTES, BODY_LIMIT_BYTES } from '../../src/http/body-limits.ts';

/** What each case needs to name real things: the seeded agency, its webhook objects, and another tenant's. */
interface World {
  seed: Seeded;
  other: Seeded;
  subscription: string;
  disabledSubscription: string;
  doomedSubscription: string;
  delivery: string;
  disabledDelivery: string;
  event: string;
  otherEvent: string;
  /** The seeded agency's all-scopes key, and one of its request log entries; the same of the other tenant. */
  keyId: string;
  otherKeyId: string;
  requestLog: string;
  otherRequestLog: string;
}

interface Case {
  /** Why this call is made, for the failure message. */
  name: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is with this content type instead of JSON. */
  raw?: { contentType: string; payload: string };
  status: number;
}

/** The operations by the document's method and path, each with the ways to call it. */
interface OperationCases {
  method: HttpMethod;
  path: string;
  /** A URL of the operation for this world, ids filled in. */
  url(w: World): string;
  /** For `{id}` operations: the URL with another id in its place. */
  withId?(id: string): string;
  /** The id of the other tenant's object of the same kind, for the 404 case. */
  otherId?(w: World): string;
  idPrefix?: Parameters<typeof newId>[0];
  body?(w: World): unknown;
  maxBytes?: number;
  success: number;
  special?(w: World): Case[];
  /** Test-mode only: its cases send faro_test_ keys (a live key is a special case). */
  testMode?: boolean;
}

const api = (path: string) => `/api/v1${path}`;
const idOp = (base: string, prefix: OperationCases['idPrefix'], suffix = '') => ({
  withId: (id: string) => api(`/${base}/${id}${suffix}`),
  idPrefix: prefix,
});

const OPERATIONS: OperationCases[] = [
  { method: 'GET', path: '/api/v1/audit-events', url: () => api('/audit-events'), success: 200 },
  { method: 'GET', path: '/api/v1/locations', url: () => api('/locations'), success: 200 },
  {
    method: 'GET',
    path: '/api/v1/usage',
    url: (w) => api(`/usage?key_id=${w.keyId}&granularity=day`),
    success: 200,
    special: (w) => [
      { name: 'another tenant’s key', url: api(`/usage?key_id=${w.otherKeyId}`), status: 404 },
      { name: 'a range longer than 31 days', url: api(`/usage?key_id=${w.keyId}&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`), status: 400 },
    ],
  },
  { method: 'GET', path: '/api/v1/request-logs', url: () => api('/request-logs?status=2xx&path=/api/v1/'), success: 200 },
  { method: 'GET', path: '/api/v1/request-logs/{id}', url: (w) => api(`/request-logs/${w.requestLog}`), ...idOp('request-logs', 'reqlog'), otherId: (w) => w.otherRequestLog, success: 200 },
  { method: 'GET', path: '/api/v1/locations/{id}', url: (w) => api(`/locations/${w.seed.locations[0]}`), ...idOp('locations', 'loc'), otherId: (w) => w.other.locations[0]!, success: 200 },
  { method: 'GET', path: '/api/v1/conversations', url: () => api('/conversations?status=open'), success: 200 },
  { method: 'GET', path: '/api/v1/conversations/{id}', url: (w) => api(`/conversations/${w.seed.conversations.all[0]}`), ...idOp('conversations', 'conv'), otherId: (w) => w.other.conversations.all[0]!, success: 200 },
  {
    method: 'GET',
    path: '/api/v1/conversations/{id}/messages',
    url: (w) => api(`/conversations/${w.seed.conversations.all[0]}/messages`),
    ...idOp('conversations', 'conv', '/messages'),
    otherId: (w) => w.other.conversations.all[0]!,
    success: 200,
  },
  { method: 'GET', path: '/api/v1/messages', url: () => api('/messages?direction=inbound'), success: 200 },
  { method: 'GET', path: '/api/v1/messages/{id}', url: (w) => api(`/messages/${w.seed.messages.all[0]}`), ...idOp('messages', 'msg'), otherId: (w) => w.other.messages.all[0]!, success: 200 },
  { method: 'GET', path: '/api/v1/reviews', url: (w) => api(`/reviews?limit=2&created_since=${encodeURIComponent(w.seed.midpoint)}`), success: 200 },
  { method: 'GET', path: '/api/v1/reviews/{id}', url: (w) => api(`/reviews/${w.seed.reviews[0]}`), ...idOp('reviews', 'rev'), otherId: (w) => w.other.reviews[0]!, success: 200 },
  { method: 'GET', path: '/api/v1/leads', url: () => api('/leads?status=converted'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/leads',
    url: () => api('/leads'),
    body: (w) => ({ location_id: w.seed.locations[0], name: 'Contract Lead', value: 19.99 }),
    maxBytes: LEAD_BODY_LIMIT_BYTES,
    success: 201,
    special: (w) => [
      { name: 'a body the service refuses (another tenant’s location)', url: api('/leads'), body: { location_id: w.other.locations[0], name: 'X' }, status: 400 },
      { name: 'first use of an Idempotency-Key', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Once' }, headers: { 'idempotency-key': 'contract-key-1' }, status: 201 },
      { name: 'the same key replayed', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Once' }, headers: { 'idempotency-key': 'contract-key-1' }, status: 201 },
      { name: 'the same key with another body', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Twice' }, headers: { 'idempotency-key': 'contract-key-1' }, status: 422 },
      { name: 'a key whose first request is still running', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Running' }, headers: { 'idempotency-key': 'contract-running' }, status: 409 },
    ],
  },
  { method: 'GET', path: '/api/v1/leads/{id}', url: (w) => api(`/leads/${w.seed.leads[0]}`), ...idOp('leads', 'lead'), otherId: (w) => w.other.leads[0]!, success: 200 },
  {
    method: 'PATCH',
    path: '/api/v1/leads/{id}',
    url: (w) => api(`/leads/${w.seed.leads[1]}`),
    ...idOp('leads', 'lead'),
    otherId: (w) => w.other.leads[0]!,
    body: () => ({ notes: 'Called back', value: 1.15 }),
    maxBytes: LEAD_BODY_LIMIT_BYTES,
    success: 200,
  },
  { method: 'GET', path: '/api/v1/events', url: () => api('/events?type=review.created'), success: 200 },
  {
    method: 'GET',
    path: '/api/v1/events/stream',
    url: () => api('/events/stream?types=review.created'),
    success: 200,
    special: (w) => [
      { name: 'an unknown event type', url: api('/events/stream?types=review.deleted'), status: 400 },
      { name: 'a Last-Event-ID that names no event', url: api('/events/stream'), headers: { 'last-event-id': newId('evt') }, status: 400 },
      { name: 'resuming after an event', url: api(`/events/stream?last_event_id=${w.event}`), status: 200 },
    ],
  },
  { method: 'GET', path: '/api/v1/events/{id}', url: (w) => api(`/events/${w.event}`), ...idOp('events', 'evt'), otherId: (w) => w.otherEvent, success: 200 },
  { method: 'GET', path: '/api/v1/webhooks', url: () => api('/webhooks'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    url: () => api('/webhooks'),
    body: () => ({ url: 'https://hooks.example.com/contract', events: ['review.created', 'lead.converted'], description: 'contract' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 201,
  },
  { method: 'GET', path: '/api/v1/webhooks/event-types', url: () => api('/webhooks/event-types'), success: 200 },
  { method: 'GET', path: '/api/v1/webhooks/{id}', url: (w) => api(`/webhooks/${w.subscription}`), ...idOp('webhooks', 'whsub'), success: 200 },
  {
    method: 'PATCH',
    path: '/api/v1/webhooks/{id}',
    url: (w) => api(`/webhooks/${w.subscription}`),
    ...idOp('webhooks', 'whsub'),
    body: () => ({ description: 'renamed' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 200,
  },
  { method: 'DELETE', path: '/api/v1/webhooks/{id}', url: (w) => api(`/webhooks/${w.doomedSubscription}`), ...idOp('webhooks', 'whsub'), success: 204 },
  { method: 'GET', path: '/api/v1/webhooks/{id}/deliveries', url: (w) => api(`/webhooks/${w.subscription}/deliveries?limit=5`), ...idOp('webhooks', 'whsub', '/deliveries'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/recover',
    url: (w) => api(`/webhooks/${w.subscription}/recover`),
    ...idOp('webhooks', 'whsub', '/recover'),
    body: () => ({ since: new Date(Date.now() - 3600_000).toISOString() }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 202,
    special: (w) => [
      { name: 'recover on a disabled subscription', url: api(`/webhooks/${w.disabledSubscription}/recover`), body: { since: new Date(Date.now() - 3600_000).toISOString() }, status: 409 },
    ],
  },
  { method: 'POST', path: '/api/v1/webhooks/{id}/rotate-secret', url: (w) => api(`/webhooks/${w.subscription}/rotate-secret`), ...idOp('webhooks', 'whsub', '/rotate-secret'), success: 200 },
  { method: 'GET', path: '/api/v1/webhooks/{id}/secret', url: (w) => api(`/webhooks/${w.subscription}/secret`), ...idOp('webhooks', 'whsub', '/secret'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/test',
    url: (w) => api(`/webhooks/${w.subscription}/test`),
    ...idOp('webhooks', 'whsub', '/test'),
    body: () => ({ event_type: 'lead.converted' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 200,
  },
  { method: 'GET', path: '/api/v1/webhook-deliveries/{id}', url: (w) => api(`/webhook-deliveries/${w.delivery}`), ...idOp('webhook-deliveries', 'whdel'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/test/events',
    url: () => api('/test/events'),
    body: () => ({ type: 'review.created' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 201,
    testMode: true,
    special: (w) => [{ name: 'a live key', url: api('/test/events'), body: { type: 'review.created' }, headers: w.seed.headers, status: 403 }],
  },
  {
    method: 'POST',
    path: '/api/v1/webhook-deliveries/{id}/retry',
    url: (w) => api(`/webhook-deliveries/${w.delivery}/retry`),
    ...idOp('webhook-deliveries', 'whdel', '/retry'),
    success: 202,
    special: (w) => [{ name: 'retry a delivery of a disabled subscription', url: api(`/webhook-deliveries/${w.disabledDelivery}/retry`), status: 409 }],
  },
];

/** Statuses an operation declares that no request can produce on demand, and why. */
const UNREACHABLE: Record<string, string> = {};

let t: TestApp;
let checker: ContractChecker;
let receiver: WebhookReceiver;
let world: World;
let allScopes: Record<string, string>;
/** A key of an Enterprise agency (per-key limits are theirs) whose one request an hour is spent. */
let exhausted: Record<string, string>;
const observed = new Map<string, Set<number>>();

async function send(op: OperationCases, c: Case, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  const request: InjectOptions = { method: op.method, url: c.url, headers: { ...headers, ...c.headers } };
  if (c.raw) Object.assign(request, { payload: c.raw.payload, headers: { ...request.headers, 'content-type': c.raw.contentType } });
  else if (c.body !== undefined) request.payload = c.body as object;
  const response = op.path.endsWith('/stream') && c.status === 200 ? await firstBytesOfStream(request) : await t.app.inject(request);
  const key = `${op.method} ${op.path}`;
  if (!observed.has(key)) observed.set(key, new Set());
  observed.get(key)!.add(response.statusCode);
  expect(checker.violations(op.method, op.path, response), `${key}: ${c.name}`).toEqual([]);
  expect(response.statusCode, `${key}: ${c.name}: ${response.body.slice(0, 300)}`).toBe(c.status);
  return response;
}

/**
 * An event stream never ends by itself: its response as far as the first complete messages (the
 * `connected` comment, and what a resume replays), then the client hangs up.
 */
async function firstBytesOfStream(request: InjectOptions): Promise<LightMyRequestResponse> {
  const response = await t.app.inject({ ...request, payloadAsStream: true });
  const stream = response.stream();
  let body = '';
  for await (const chunk of stream) {
    body += String(chunk);
    if (body.includes(': connected\n\n')) break;
  }
  stream.destroy();
  return { ...response, body } as LightMyRequestResponse;
}

/** The calls every operation gets, from the right call to each way of getting it wrong. */
function casesFor(op: OperationCases, w: World): { c: Case; headers: 'all' | 'none' | 'wrongScope' | 'exhausted' }[] {
  const url = op.url(w);
  const body = op.body?.(w);
  const withQuery = (query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;
  const list: { c: Case; headers: 'all' | 'none' | 'wrongScope' | 'exhausted' }[] = [
    { c: { name: 'as meant', url, body, status: op.success }, headers: 'all' },
    { c: { name: 'no credentials', url, body, status: 401 }, headers: 'none' },
    { c: { name: 'a key without the scope', url, body, status: 403 }, headers: 'wrongScope' },
    { c: { name: 'a key over its quota', url, body, status: 429 }, headers: 'exhausted' },
    { c: { name: 'an unknown query parameter', url: withQuery('bogus_parameter=1'), body, status: 400 }, headers: 'all' },
  ];
  if (op.withId && op.idPrefix) {
    list.push({ c: { name: 'an id that names nothing', url: op.withId(newId(op.idPrefix)), body, status: 404 }, headers: 'all' });
    list.push({ c: { name: 'an id of the wrong kind', url: op.withId('not-an-id'), body, status: 404 }, headers: 'all' });
    if (op.otherId) list.push({ c: { name: 'another tenant’s id', url: op.withId(op.otherId(w)), body, status: 404 }, headers: 'all' });
  }
  if (body !== undefined) {
    list.push(
      { c: { name: 'malformed JSON', url, raw: { contentType: 'application/json', payload: '{"name": ' }, status: 400 }, headers: 'all' },
      { c: { name: 'an unknown field', url, body: { ...(body as object), surprise: true }, status: 400 }, headers: 'all' },
      { c: { name: 'a JSON array instead of an object', url, body: [body], status: 400 }, headers: 'all' },
      { c: { name: 'a form instead of JSON', url, raw: { contentType: 'application/x-www-form-urlencoded', payload: 'name=x' }, status: 415 }, headers: 'all' },
      { c: { name: 'a body over the limit', url, raw: { contentType: 'application/json', payload: `{"notes":"${'x'.repeat(op.maxBytes!)}"}` }, status: 413 }, headers: 'all' },
    );
  }
  for (const c of op.special?.(w) ?? []) list.push({ c, headers: 'all' });
  return list;
}

beforeAll(async () => {
  t = await createTestApp();
  receiver = await startWebhookReceiver();
  const served = await t.app.inject({ url: '/api/v1/openapi.json' });
  checker = createContractChecker(served.json());

  const seed = await seedAgency(t.app, () => undefined);
  const other = await seedAgency(t.app, () => undefined);
  allScopes = seed.headers;
  const enterprise = await createAgency(t.app, { tier: 'enterprise' });
  exhausted = (await createApiKey(t.app, enterprise.id, { scopes: SCOPES, rate_limit: 1 })).headers;
  await t.app.inject({ method: 'GET', url: api('/locations'), headers: exhausted });
  const create = async (body: Record<string, unknown>) => {
    const response = await t.app.inject({ method: 'POST', url: api('/webhooks'), headers: allScopes, payload: { events: ['*'], ...body } });
    if (response.statusCode !== 201) throw new Error(`create subscription: ${response.body}`);
    return response.json<{ id: string }>().id;
  };
  const subscription = await create({ url: `${receiver.url}/contract` });
  const disabledSubscription = await create({ url: `${receiver.url}/disabled`, enabled: false });
  const doomedSubscription = await create({ url: `${receiver.url}/doomed` });
  const delivery = await insertDelivery(t, { agencyId: seed.agency.id, subscriptionId: subscription, status: 'failed' });
  const disabledDelivery = await insertDelivery(t, { agencyId: seed.agency.id, subscriptionId: disabledSubscription, status: 'failed' });
  const otherDelivery = await insertDelivery(t, { agencyId: other.agency.id, subscriptionId: await createSubscriptionOf(other), status: 'failed' });
  // The requests above are in each agency's request log once this instance has written them.
  await t.ctx.services.usageRecorder.flush();
  const newestRequest = async (headers: Record<string, string>) =>
    (await t.app.inject({ method: 'GET', url: api('/request-logs?limit=1'), headers })).json<{ data: Array<{ id: string; key_id: string }> }>().data[0]!;
  const [ours, theirs] = [await newestRequest(seed.headers), await newestRequest(other.headers)];
  world = {
    seed, other, subscription, disabledSubscription, doomedSubscription, delivery: delivery.id, disabledDelivery: disabledDelivery.id, event: delivery.eventId, otherEvent: otherDelivery.eventId,
    keyId: ours.key_id, otherKeyId: theirs.key_id, requestLog: ours.id, otherRequestLog: theirs.id,
  };

  // The other tenant's webhook objects make the `{id}` 404 cases of the webhook operations too.
  for (const op of OPERATIONS) {
    if (op.otherId || !op.idPrefix) continue;
    if (op.idPrefix === 'whsub') op.otherId = () => otherSubscription;
    if (op.idPrefix === 'whdel') op.otherId = () => otherDelivery.id;
  }

  // A lead request holding its Idempotency-Key, as a request still running on another instance would.
  await t.ctx.db
    .insertInto('idempotency_keys')
    .values({
      agency_id: seed.agency.id,
      key: 'contract-running',
      fingerprint: fingerprintRequest('POST', '/api/v1/leads', { location_id: seed.locations[0], name: 'Running', source: 'api' }),
      state: 'in_progress',
      claim_token: 'another-instance',
      locked_until: new Date(Date.now() + IDEMPOTENCY_LEASE_MS),
      response_status: null,
      response_body: null,
      created_at: new Date(),
      expires_at: new Date(Date.now() + IDEMPOTENCY_TTL_MS),
    })
    .execute();
}, 180_000); // seeding two agencies takes seconds, minutes on a loaded CI machine

/** A key of either mode, made through the operator API. */
async function adminKey(agencyId: string, scopes: readonly string[], mode: 'live' | 'test') {
  if (mode === 'live') return createApiKey(t.app, agencyId, { scopes });
  const response = await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agencyId}/api-keys`, headers: adminHeaders, payload: { name: 'contract test key', scopes, mode } });
  if (response.statusCode !== 201) throw new Error(`test key: ${response.body}`);
  return { headers: { authorization: `Bearer ${response.json<{ key: string }>().key}` } };
}

let otherSubscription = '';
async function createSubscriptionOf(other: Seeded): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: api('/webhooks'), headers: other.headers, payload: { url: `${receiver.url}/other`, events: ['*'] } });
  otherSubscription = response.json<{ id: string }>().id;
  return otherSubscription;
}

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('the checker', () => {
  it('refuses an undeclared status, a body off its schema and a missing required header', async () => {
    const served = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    const response = await t.app.inject({ url: api(`/leads/${world.seed.leads[0]}`), headers: allScopes });
    expect(checker.violations('GET', '/api/v1/leads/{id}', response)).toEqual([]);

    const undeclared = structuredClone(served);
    delete undeclared.paths['/api/v1/leads/{id}'].get.responses['200'];
    expect(createContractChecker(undeclared).violations('GET', '/api/v1/leads/{id}', response)).toEqual([expect.stringMatching(/^status 200 is not declared/)]);

    const forged = { ...response, statusCode: 200, headers: { ...response.headers }, body: JSON.stringify({ ...response.json(), id: 42 }) } as LightMyRequestResponse;
    expect(checker.violations('GET', '/api/v1/leads/{id}', forged)).toEqual([expect.stringMatching(/^body\/id must be string/)]);

    const demanding = structuredClone(served);
    const ok = demanding.paths['/api/v1/leads/{id}'].get.responses['200'];
    ok.headers = { ...ok.headers, 'X-Contract-Probe': { required: true, schema: { type: 'string' } } };
    expect(createContractChecker(demanding).violations('GET', '/api/v1/leads/{id}', response)).toEqual(['required header X-Contract-Probe is missing']);
  });
});

describe('every operation keeps the served contract', () => {
  it('the suite covers every operation of the document, and only those', () => {
    const documented = checker.operations.map((op) => `${op.method} ${op.path}`).sort();
    expect(OPERATIONS.map((op) => `${op.method} ${op.path}`).sort()).toEqual(documented);
  });

  for (const op of OPERATIONS) {
    it(`${op.method} ${op.path}`, async () => {
      const agencyId = world.seed.agency.id;
      const onlyScope = op.path === '/api/v1/audit-events' ? 'locations:read' : 'audit:read';
      const mode = op.testMode ? 'test' : 'live';
      const wrongScope = (await adminKey(agencyId, [onlyScope], mode)).headers;
      const headers = { all: op.testMode ? await adminKey(agencyId, SCOPES, 'test').then((key) => key.headers) : allScopes, none: {}, wrongScope, exhausted };
      for (const { c, headers: who } of casesFor(op, world)) await send(op, c, headers[who]);
    });
  }

  it('a subscription past the agency’s limit is a declared 409', async () => {
    const op = OPERATIONS.find((o) => o.method === 'POST' && o.path === '/api/v1/webhooks')!;
    const crowded = await seedAgency(t.app, () => undefined);
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_AGENCY; i++) {
      await send(op, { name: `subscription ${i + 1}`, url: api('/webhooks'), body: { url: `https://hooks.example.com/${i}`, events: ['*'] }, status: 201 }, crowded.headers);
    }
    await send(op, { name: 'one subscription too many', url: api('/webhooks'), body: { url: 'https://hooks.example.com/over', events: ['*'] }, status: 409 }, crowded.headers);
  });

  it('every status an operation declares was produced by some case', () => {
    const missing: string[] = [];
    for (const op of checker.operations) {
      const key = `${op.method} ${op.path}`;
      for (const status of Object.keys(op.definition.responses as object)) {
        if (status === '5XX' || UNREACHABLE[`${key} ${status}`]) continue;
        if (!observed.get(key)?.has(Number(status))) missing.push(`${key} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
