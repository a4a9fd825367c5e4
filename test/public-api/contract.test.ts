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
import { createContractChecker, type ContractChecker } from '../support/contract.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { seedAgency, type Seeded } from './support.ts';
import { insertDelivery } from '../webhooks/support.ts';
import { newId } from '../../src/lib/ids.ts';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS, fingerprintRequest } from '../../src/domains/idempotency/service.ts';
import { MAX_SUBSCRIPTIONS_PER_AGENCY } from '../../src/domains/webhooks/schemas.ts';

import { api, OPERATIONS, type Case, type OperationCases, type World } from './contract-operations.ts';

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
