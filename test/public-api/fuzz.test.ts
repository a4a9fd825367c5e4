// Generated requests against every public operation (fast-check, fixed seed, bounded count): ids
// real, foreign and invented, query values fitting and not, bodies fitting, one field off, with
// unknown fields or not objects at all, with and without credentials. Whatever comes in, the
// answer is never a 5xx and always one the operation declares, in the shape the document gives.
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createContractChecker, type ContractChecker, type Operation } from '../support/contract.ts';
import { bodyFor, plausible, type ArbitraryContext } from '../support/openapi-arbitraries.ts';
import { setTier } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { insertDelivery } from '../webhooks/support.ts';
import { seedAgency } from './support.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Fixed, so a failure reproduces; change it to explore, never to make a failure go away. */
const SEED = 20_261_205;
const RUNS = 1_000;

let t: TestApp;
let receiver: WebhookReceiver;
let checker: ContractChecker;
let document: Json;
let context: ArbitraryContext;
let foreignIds: string[];
let credentials: Record<string, string>[];

const resolve = (value: Json): Json =>
  typeof value?.$ref === 'string' ? resolve(value.$ref.slice(2).split('/').reduce((node: Json, key: string) => node[key], document)) : value;

beforeAll(async () => {
  t = await createTestApp();
  receiver = await startWebhookReceiver();
  document = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
  checker = createContractChecker(document);

  const seed = await seedAgency(t.app, () => undefined);
  const other = await seedAgency(t.app, () => undefined);
  // A generous Enterprise quota: the run is about contracts, not about running out of requests.
  await setTier(t.app, seed.agency.id, 'enterprise', 1_000_000);
  const subscribe = async (headers: Record<string, string>, url: string) =>
    (await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers, payload: { url, events: ['*'] } })).json<{ id: string }>().id;
  const subscription = await subscribe(seed.headers, `${receiver.url}/fuzz`);
  const foreignSubscription = await subscribe(other.headers, `${receiver.url}/other`);
  const delivery = await insertDelivery(t, { agencyId: seed.agency.id, subscriptionId: subscription, status: 'failed' });
  const foreignDelivery = await insertDelivery(t, { agencyId: other.agency.id, subscriptionId: foreignSubscription, status: 'failed' });

  context = {
    resolve,
    ids: {
      loc: seed.locations,
      conv: seed.conversations.all,
      msg: seed.messages.all,
      rev: seed.reviews,
      lead: seed.leads,
      evt: [delivery.eventId],
      whsub: [subscription],
      whdel: [delivery.id],
    },
    fields: {
      location_id: fc.constantFrom(...seed.locations, other.locations[0]!, 'loc_unknown'),
      events: fc.constantFrom(['*'], ['review.created'], ['lead.converted', 'message.received'], ['review.created', 'no.such_event'], []),
    },
    urls: [`${receiver.url}/generated`, 'https://hooks.example.com/faro', 'ftp://hooks.example.com/', 'not a url', 'https://169.254.169.254/latest', ''],
  };
  foreignIds = [other.locations[0]!, other.conversations.all[0]!, other.messages.all[0]!, other.reviews[0]!, other.leads[0]!, foreignSubscription, foreignDelivery.id, foreignDelivery.eventId];
  credentials = [...Array(9).fill(seed.headers), {}, { authorization: 'Bearer faro_live_not_a_real_key' }, { authorization: 'Basic dXNlcjpwYXNz' }];
}, 180_000); // seeding two agencies takes seconds, minutes on a loaded CI machine

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

/** The path's `{id}`: one of this agency's, another agency's, an invented one of the right kind, or junk. */
function idFor(op: Operation): fc.Arbitrary<string> {
  const parameter = (op.definition.parameters as Json[]).map(resolve).find((p) => p.in === 'path');
  const prefix = String(parameter?.example ?? '').split('_')[0]!;
  const own = context.ids[prefix] ?? [];
  return fc.oneof(
    { arbitrary: own.length > 0 ? fc.constantFrom(...own) : fc.constant(`${prefix}_x`), weight: 4 },
    { arbitrary: fc.constantFrom(...foreignIds), weight: 1 },
    { arbitrary: fc.stringMatching(new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`)), weight: 1 },
    // "." and ".." are dot segments: the URL would name another path, not this operation.
    { arbitrary: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..').map(encodeURIComponent), weight: 1 },
  );
}

/** null most of the time, a value one time in six. */
const rarely = <T>(value: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: value, weight: 1 });

/** How a client library would put a value in a query string (objects as JSON, like a careless one). */
const asQueryValue = (value: unknown): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

function queryFor(op: Operation): fc.Arbitrary<Record<string, string>> {
  const parameters = ((op.definition.parameters ?? []) as Json[]).map(resolve).filter((p) => p.in === 'query');
  const declared = Object.fromEntries(parameters.map((p) => [p.name as string, plausible(p.schema as Json, context, p.name as string).map(asQueryValue)]));
  const unknown = rarely(fc.tuple(fc.constantFrom('bogus', 'page', 'offset', 'LIMIT'), fc.string({ maxLength: 8 })));
  return fc.tuple(fc.record(declared, { requiredKeys: [] }), unknown).map(([known, extra]) => {
    const query = Object.fromEntries(Object.entries(known).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return extra ? { ...query, [extra[0]]: extra[1] } : query;
  });
}

function requestFor(op: Operation): fc.Arbitrary<InjectOptions> {
  const bodySchema = op.definition.requestBody ? (resolve(op.definition.requestBody as Json).content as Json)['application/json']?.schema : undefined;
  const body = bodySchema ? fc.oneof({ arbitrary: bodyFor(bodySchema as Json, context), weight: 7 }, { arbitrary: fc.constant(null), weight: 1 }) : fc.constant(null);
  const id = op.path.includes('{id}') ? idFor(op) : fc.constant('');
  const idempotencyKey = op.method === 'POST' ? rarely(fc.string({ minLength: 0, maxLength: 300 })) : fc.constant(null);
  return fc.record({ id, query: queryFor(op), body, auth: fc.constantFrom(...credentials), idempotencyKey }).map(({ id, query, body, auth, idempotencyKey }) => {
    const search = new URLSearchParams(query).toString();
    const headers: Record<string, string> = { ...auth };
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
    return {
      method: op.method,
      url: `${op.path.replace('{id}', id)}${search ? `?${search}` : ''}`,
      headers,
      ...(body !== null ? { payload: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } } : {}),
    };
  });
}

it(`${RUNS} generated requests: never a 5xx, always a declared status and shape`, async () => {
  // A stream accepted never ends, and inject waits for the end; the stream's refusals are the
  // contract suite's and event-stream.test.ts's.
  const finite = checker.operations.filter((op) => !op.definition.responses['200']?.content?.['text/event-stream']);
  expect(finite.length).toBe(checker.operations.length - 1);
  const perOperation = fc.constantFrom(...finite).chain((op) => requestFor(op).map((request) => ({ op, request })));
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(perOperation, async ({ op, request }) => {
      const response = await t.app.inject(request);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      expect(response.statusCode, `${request.method} ${request.url}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
      expect(checker.violations(op.method, op.path, response), `${request.method} ${request.url}`).toEqual([]);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  // The run reached past the front door: successes, refusals of bad input and missing objects.
  for (const status of [200, 201, 400, 401, 404]) expect(statuses.get(status) ?? 0, `status ${status} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
}, 180_000);
