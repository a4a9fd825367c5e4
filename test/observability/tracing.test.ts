import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { FastifyBaseLogger } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LEASES } from '../../src/domains/api/coalescing-limiter.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase } from '../support/database.ts';
import { adminHeaders, createAgency, simulate } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { until } from '../support/eventually.ts';
import { registerInMemoryTracing, type InMemoryTracing } from '../support/tracing.ts';
import type { Database } from '../../src/db/database.ts';

/*
 * OpenTelemetry tracing over real HTTP, a real database (PGlite or Postgres), Redis when the run
 * has it, and a real webhook receiver, with the spans kept in memory: a request's span and its
 * children, a caller's `traceparent` continued, the trace on every log line of the request, the
 * webhook attempt in a trace of its own, and nothing at all when tracing is off.
 */

interface LogLine {
  msg?: string;
  reqId?: string;
  trace_id?: string;
  span_id?: string;
}

function capturingLogger() {
  let output = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream) as FastifyBaseLogger;
  return { logger, lines: () => output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine) };
}

const usingRedis = Boolean(process.env.TEST_REDIS_URL);
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const LEAD_NAME = 'Zoe Tracewell';

const tracing: InMemoryTracing = registerInMemoryTracing();
const log = capturingLogger();
let database: Database;
let t: TestApp;
let receiver: WebhookReceiver;
let headers: Record<string, string>;
let agencyId: string;
let locationId: string;
let subscriptionId: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  database = await createTestDatabase({ traced: true });
  t = await createTestApp({ database, config: { tracing: true }, logger: log.logger, listen: true, worker: true });
  agencyId = (await createAgency(t.app)).id;
  headers = (await createApiKey(t.app, agencyId, { scopes: ['locations:read', 'leads:read', 'leads:write', 'webhooks:write'] })).headers;
  locationId = String((await simulate(t.app, agencyId, 'review.created')).resource.location_id);
  const subscription = await t.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers,
    payload: { url: `${receiver.url}/hooks`, events: ['lead.converted'] },
  });
  if (subscription.statusCode !== 201) throw new Error(`subscription: ${subscription.statusCode} ${subscription.body}`);
  subscriptionId = subscription.json<{ id: string }>().id;
});

let tracedClosed = false;
afterAll(async () => {
  if (!tracedClosed) await t?.close();
  await database?.close();
  await receiver?.close();
  await tracing.close();
});

beforeEach(() => tracing.reset());

const idsOf = (span: ReadableSpan) => span.spanContext();
const childrenOf = (parent: ReadableSpan) =>
  tracing.spans().filter((span) => span.parentSpanContext?.spanId === idsOf(parent).spanId && idsOf(span).traceId === idsOf(parent).traceId);
const linesOf = (requestId: string) => log.lines().filter((line) => line.reqId === requestId);

/** The first span that matches, once one has ended. */
async function endedSpan(what: string, matches: (span: ReadableSpan) => boolean): Promise<ReadableSpan> {
  await until(() => tracing.spans().some(matches), what, 15_000);
  return tracing.spans().find(matches)!;
}

/** The server span of the request that carried this id (its Request-Id), found from its log lines. */
const requestSpan = (requestId: string) =>
  endedSpan(`the span of ${requestId}`, (span) => span.kind === SpanKind.SERVER && span.spanContext().spanId === linesOf(requestId)[0]?.span_id);

describe('a traced request', () => {
  it.runIf(usingRedis)('concurrent requests of one key: each rate-limit check span is a child of a request of its batch, within it', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, () => fetch(`${t.url}/api/v1/locations/${locationId}`, { headers })));
    expect(responses.map((response) => response.status)).toEqual(Array(30).fill(200));
    const requestSpans = await Promise.all(responses.map((response) => requestSpan(response.headers.get('request-id')!)));
    const byId = new Map(requestSpans.map((span) => [idsOf(span).spanId, span]));
    const nanos = (time: [number, number]) => time[0] * 1e9 + time[1];
    await until(() => tracing.spans().filter((span) => span.name === 'EVALSHA').length > 0, 'the EVALSHA spans', 15_000);
    const checks = tracing.spans().filter((span) => span.name === 'EVALSHA');
    // At most one check per request (requests that arrive together share one), each inside the
    // request it belongs to: a batch's check runs in its first request's context, never in that
    // of a request that already answered.
    expect(checks.length).toBeLessThanOrEqual(30);
    for (const check of checks) {
      const parent = byId.get(check.parentSpanContext?.spanId ?? '');
      expect(parent).toBeDefined();
      expect(nanos(check.startTime)).toBeGreaterThanOrEqual(nanos(parent!.startTime));
      expect(nanos(check.endTime)).toBeLessThanOrEqual(nanos(parent!.endTime));
    }
    // A burst may leave the key a lease, whose units need no check: let it end, so the next
    // request's check goes to Redis.
    await sleep(DEFAULT_LEASES.holdMs * 2);
  });

  it('has a server span named by its route, with database spans (and Redis spans) as children, and its trace on every log line', async () => {
    const response = await fetch(`${t.url}/api/v1/leads`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ location_id: locationId, name: LEAD_NAME, status: 'converted' }),
    });
    expect(response.status).toBe(201);
    const requestId = response.headers.get('request-id')!;
    const span = await requestSpan(requestId);

    expect(span.name).toBe('POST /api/v1/leads');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/leads',
      'http.response.status_code': 201,
      'url.path': '/api/v1/leads',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    const children = childrenOf(span);
    const queries = children.filter((child) => child.attributes['db.system'] === 'postgresql');
    const insert = queries.find((query) => /insert into "leads"/i.test(String(query.attributes['db.query.text'])));
    expect(insert).toBeDefined();
    expect(insert!.kind).toBe(SpanKind.CLIENT);
    expect(insert!.name).toBe('INSERT');
    expect(insert!.attributes['db.operation.name']).toBe('INSERT');
    expect(insert!.attributes['db.system.name']).toBe('postgresql');
    // The lead is written with its outbox event.
    expect(queries.some((query) => /insert into "events"/i.test(String(query.attributes['db.query.text'])))).toBe(true);
    for (const query of queries) {
      expect(String(query.attributes['db.query.text'])).not.toContain(LEAD_NAME);
      expect(query.endTime[0] * 1e9 + query.endTime[1]).toBeLessThanOrEqual(span.endTime[0] * 1e9 + span.endTime[1]);
    }

    const redis = children.filter((child) => child.attributes['db.system'] === 'redis');
    if (usingRedis) {
      expect(redis.length).toBeGreaterThan(0);
      expect(redis[0]).toMatchObject({ name: 'EVALSHA', kind: SpanKind.CLIENT });
      expect(redis[0]!.attributes).toMatchObject({ 'db.operation.name': 'EVALSHA', 'server.address': expect.any(String), 'server.port': expect.any(Number) });
    } else {
      expect(redis).toEqual([]);
    }

    const lines = linesOf(requestId);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
  });

  it("delivers the request's event in a trace of its own: a webhook attempt span with its ids, its recording as children", async () => {
    const from = receiver.requests.length;
    const response = await fetch(`${t.url}/api/v1/leads`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ location_id: locationId, name: LEAD_NAME, status: 'converted' }),
    });
    expect(response.status).toBe(201);
    const request = await requestSpan(response.headers.get('request-id')!);
    const received = await receiver.waitFor((r) => r.path === '/hooks', { from });
    const eventId = received.headers['webhook-id']!;
    expect(received.headers.traceparent).toBeUndefined();

    const attempt = await endedSpan('the attempt span', (span) => span.name === 'webhook attempt' && span.attributes['faro.event.id'] === eventId);
    expect(attempt.kind).toBe(SpanKind.CLIENT);
    expect(attempt.attributes).toMatchObject({
      'faro.event.id': eventId,
      'faro.event.type': 'lead.converted',
      'faro.subscription.id': subscriptionId,
      'faro.delivery.id': expect.stringMatching(/^whdel_/),
      'faro.delivery.attempt': 1,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': receiver.port,
    });
    expect(attempt.status.code).toBe(SpanStatusCode.UNSET);
    // Not linked: the outbox keeps no trace context, and the worker may be another process.
    expect(attempt.parentSpanContext).toBeUndefined();
    expect(attempt.links).toEqual([]);
    expect(attempt.spanContext().traceId).not.toBe(request.spanContext().traceId);
    const recorded = childrenOf(attempt).filter((child) => child.attributes['db.system'] === 'postgresql');
    expect(recorded.some((query) => /webhook_delivery_attempts/.test(String(query.attributes['db.query.text'])))).toBe(true);
    // The worker's claims and polls run in no trace: every statement traced belongs to a request or an attempt.
    for (const query of tracing.spans().filter((span) => span.attributes['db.system'] === 'postgresql')) {
      expect(query.parentSpanContext).toBeDefined();
    }
  });

  it('a failing receiver marks the attempt span failed with its status', async () => {
    receiver.answer(500);
    try {
      const from = receiver.requests.length;
      const response = await fetch(`${t.url}/api/v1/leads`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ location_id: locationId, name: LEAD_NAME, status: 'converted' }),
      });
      expect(response.status).toBe(201);
      const received = await receiver.waitFor((r) => r.path === '/hooks', { from });
      const attempt = await endedSpan('the attempt span', (span) => span.attributes['faro.event.id'] === received.headers['webhook-id']);
      expect(attempt.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'http_status' });
      expect(attempt.status.code).toBe(SpanStatusCode.ERROR);
    } finally {
      receiver.answer(200);
    }
  });

  it("continues a caller's valid traceparent; the path is reported without its query", async () => {
    const response = await fetch(`${t.url}/api/v1/locations?limit=5`, { headers: { ...headers, traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('request-id')!;
    const span = await requestSpan(requestId);
    expect(span.name).toBe('GET /api/v1/locations');
    expect(span.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(span.parentSpanContext).toMatchObject({ traceId: CALLER_TRACE_ID, spanId: CALLER_SPAN_ID, isRemote: true });
    expect(span.attributes).toMatchObject({ 'url.path': '/api/v1/locations', 'http.route': '/api/v1/locations', 'http.response.status_code': 200 });
    expect(childrenOf(span).filter((child) => child.attributes['db.system'] === 'postgresql').length).toBeGreaterThan(0);
    for (const line of linesOf(requestId)) expect(line).toMatchObject({ trace_id: CALLER_TRACE_ID, span_id: span.spanContext().spanId });
  });

  it('starts a new trace when the traceparent is not valid, and names an unrouted request by its method only', async () => {
    const invalid = `00-${'0'.repeat(32)}-${CALLER_SPAN_ID}-01`;
    // DELETE: with the portal built, its static files' GET /* route would take a GET.
    const response = await fetch(`${t.url}/api/v1/no-such-thing`, { method: 'DELETE', headers: { traceparent: invalid } });
    expect(response.status).toBe(404);
    const requestId = response.headers.get('request-id')!;
    const span = await requestSpan(requestId);
    expect(span.name).toBe('DELETE');
    expect(span.attributes['http.route']).toBeUndefined();
    expect(span.attributes['http.response.status_code']).toBe(404);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32));
    for (const line of linesOf(requestId)) expect(line.trace_id).toBe(span.spanContext().traceId);
  });

  it('a key revocation publishes the change on Redis in a span of the request (on Postgres + Redis; NOTIFY, a statement, otherwise)', async () => {
    const doomed = await createApiKey(t.app, agencyId);
    const response = await fetch(`${t.url}/admin/v1/agencies/${agencyId}/api-keys/${doomed.id}/revoke`, { method: 'POST', headers: adminHeaders });
    expect(response.status).toBe(200);
    const span = await requestSpan(response.headers.get('request-id')!);
    expect(span.name).toBe('POST /admin/v1/agencies/:id/api-keys/:key_id/revoke');
    const children = childrenOf(span);
    if (usingRedis) {
      expect(children.find((child) => child.name === 'PUBLISH')?.attributes).toMatchObject({ 'db.system': 'redis', 'db.operation.name': 'PUBLISH' });
    } else {
      expect(children.some((child) => /pg_notify/.test(String(child.attributes['db.query.text'])))).toBe(true);
    }
  });

  it('a test send made by a request is a child of its span', async () => {
    const response = await fetch(`${t.url}/api/v1/webhooks/${subscriptionId}/test`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(response.status).toBe(200);
    const span = await requestSpan(response.headers.get('request-id')!);
    expect(span.name).toBe('POST /api/v1/webhooks/:id/test');
    const attempt = childrenOf(span).find((child) => child.name === 'webhook attempt');
    expect(attempt?.attributes).toMatchObject({ 'faro.delivery.test': true, 'faro.subscription.id': subscriptionId, 'http.response.status_code': 200 });
  });
});

describe('with tracing off', () => {
  // The traced app's worker would still retry its failed deliveries (and record their spans) here.
  beforeAll(async () => {
    await t.close();
    tracedClosed = true;
  });

  it('makes no span at all, even with a tracer provider registered, and logs as before', async () => {
    const offLog = capturingLogger();
    const off = await createTestApp({ logger: offLog.logger, listen: true, worker: true });
    try {
      const offAgency = (await createAgency(off.app)).id;
      const offHeaders = (await createApiKey(off.app, offAgency, { scopes: ['locations:read', 'leads:read', 'leads:write', 'webhooks:write'] })).headers;
      const location = String((await simulate(off.app, offAgency, 'review.created')).resource.location_id);
      const from = receiver.requests.length;
      await off.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: offHeaders, payload: { url: `${receiver.url}/off`, events: ['lead.converted'] } });
      tracing.reset();

      const created = await fetch(`${off.url}/api/v1/leads`, {
        method: 'POST',
        headers: { ...offHeaders, 'content-type': 'application/json', traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` },
        body: JSON.stringify({ location_id: location, name: LEAD_NAME, status: 'converted' }),
      });
      expect(created.status).toBe(201);
      await receiver.waitFor((r) => r.path === '/off', { from });
      const plain = await fetch(`${off.url}/api/v1/locations`, { headers: offHeaders });
      expect(plain.status).toBe(200);

      expect(tracing.spans()).toEqual([]);
      const tracedLines = offLog.lines().filter((line) => line.reqId === created.headers.get('request-id'));
      expect(tracedLines.length).toBeGreaterThan(0);
      for (const line of tracedLines) {
        expect(line.trace_id).toBe(CALLER_TRACE_ID);
        expect(line.span_id).toBeUndefined();
      }
      for (const line of offLog.lines().filter((l) => l.reqId === plain.headers.get('request-id'))) {
        expect(line.trace_id).toBeUndefined();
        expect(line.span_id).toBeUndefined();
      }
    } finally {
      await off.close();
    }
  });
});
