import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency } from '../support/fixtures.ts';
import { createApiKey, PROBE } from '../support/api-keys.ts';
import { newRequestId } from '../../src/http/request-id.ts';
import { traceIdOf } from '../../src/http/trace-context.ts';

/*
 * Request ids over real HTTP: a caller's well-formed `Request-Id` / `X-Request-Id` is the
 * request's id (header, problem body, logs, audit); anything else is replaced by a new id and
 * never repeated. A valid W3C `traceparent` puts its trace id on the request's log lines.
 */

interface LogLine {
  msg?: string;
  reqId?: string;
  trace_id?: string;
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
  return { logger, output: () => output, lines: () => output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine) };
}

const GENERATED = /^req_[0-9a-f]{24}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const log = capturingLogger();
let t: TestApp;
let key: { headers: Record<string, string> };
let agencyId: string;

beforeAll(async () => {
  t = await createTestApp({ logger: log.logger, listen: true });
  agencyId = (await createAgency(t.app)).id;
  key = await createApiKey(t.app, agencyId, { scopes: ['locations:read', 'audit:read'] });
});

afterAll(async () => t?.close());

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, requestId: response.headers.get('request-id'), body: text };
}

const linesOf = (requestId: string) => log.lines().filter((line) => line.reqId === requestId);

describe('request ids', () => {
  it('without one from the caller, each request gets a new req_ id, in the header and the problem body', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const response = await get('/api/v1/locations');
      expect(response.status).toBe(401);
      expect(response.requestId).toMatch(GENERATED);
      expect(JSON.parse(response.body)).toMatchObject({ request_id: response.requestId });
      ids.add(response.requestId!);
    }
    expect(ids.size).toBe(20);
  });

  it('the generator draws fresh random ids, past its pool refills', () => {
    const ids = Array.from({ length: 2000 }, newRequestId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(GENERATED);
  });

  it.each([
    ['Request-Id', 'request-id', '7f3c2a9e-5b1d-4c8e-9a0f-1e2d3c4b5a69'],
    ['X-Request-Id', 'x-request-id', 'lb:01JD5M0D9D6V3FW8P3N4Q7R2S1'],
  ])('a well-formed %s is kept: response header, problem body and log lines', async (_name, header, id) => {
    const response = await get('/api/v1/locations', { [header]: id });
    expect(response.status).toBe(401);
    expect(response.requestId).toBe(id);
    expect(JSON.parse(response.body)).toMatchObject({ request_id: id });
    expect(linesOf(id).map((line) => line.msg)).toEqual(expect.arrayContaining(['request completed']));
  });

  it('Request-Id wins over X-Request-Id; a malformed Request-Id leaves a good X-Request-Id', async () => {
    expect((await get(PROBE, { ...key.headers, 'request-id': 'outer-1', 'x-request-id': 'inner-1' })).requestId).toBe('outer-1');
    expect((await get(PROBE, { ...key.headers, 'request-id': 'has space', 'x-request-id': 'inner-2' })).requestId).toBe('inner-2');
  });

  it('a malformed id is replaced by a new one and appears in no header, body or log line', async () => {
    const bad = ['has space', '"quoted"', "it's", '<script>x</script>', 'a,b', 'semi;colon', 'x'.repeat(201), 'back\\slash', '%41'];
    for (const id of bad) {
      const response = await get('/api/v1/locations', { 'request-id': id, 'x-request-id': id });
      expect(response.requestId, id).toMatch(GENERATED);
      expect(response.body).not.toContain(id);
    }
    for (const id of bad) expect(log.output()).not.toContain(JSON.stringify(id).slice(1, -1));
    const longest = await get('/api/v1/locations', { 'request-id': 'y'.repeat(200) });
    expect(longest.requestId).toBe('y'.repeat(200));
  });

  it('a caller-chosen id is the request id of the audit entries the request writes', async () => {
    const id = `audit-${Date.now()}`;
    const created = await fetch(`${t.url}/admin/v1/agencies/${agencyId}/api-keys`, {
      method: 'POST',
      headers: { ...adminHeaders, 'content-type': 'application/json', 'request-id': id },
      body: JSON.stringify({ name: 'traced', scopes: ['locations:read'] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('request-id')).toBe(id);
    const audit = await get('/api/v1/audit-events?limit=100', key.headers);
    expect(audit.status).toBe(200);
    const entries = (JSON.parse(audit.body) as { data: { request_id: string | null }[] }).data;
    expect(entries.filter((entry) => entry.request_id === id)).toHaveLength(1);
  });
});

describe('traceparent', () => {
  it('a valid traceparent puts its trace id on every log line of the request', async () => {
    const response = await get(PROBE, { ...key.headers, traceparent: TRACEPARENT });
    expect(response.status).toBe(200);
    const lines = linesOf(response.requestId!);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line.trace_id).toBe(TRACE_ID);
  });

  it('an invalid traceparent is ignored: no trace id on the log lines, the request proceeds', async () => {
    const response = await get(PROBE, { ...key.headers, traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` });
    expect(response.status).toBe(200);
    const lines = linesOf(response.requestId!);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).not.toHaveProperty('trace_id');
  });

  it.each([
    ['version 00', TRACEPARENT, TRACE_ID],
    ['not sampled', `00-${TRACE_ID}-00f067aa0ba902b7-00`, TRACE_ID],
    ['a later version with more fields', `01-${TRACE_ID}-00f067aa0ba902b7-01-what-comes-next`, TRACE_ID],
    ['a later version of 55 characters', `cc-${TRACE_ID}-00f067aa0ba902b7-09`, TRACE_ID],
    ['version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`, undefined],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, undefined],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`, undefined],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`, undefined],
    ['version 00 with more fields', `${TRACEPARENT}-extra`, undefined],
    ['a later version followed by other than a dash', `01-${TRACE_ID}-00f067aa0ba902b7-01x`, undefined],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`, undefined],
    ['wrong separators', `00_${TRACE_ID}_00f067aa0ba902b7_01`, undefined],
    ['two headers joined', `${TRACEPARENT}, ${TRACEPARENT}`, undefined],
    ['not hex', `00-${'g'.repeat(32)}-00f067aa0ba902b7-01`, undefined],
    ['empty', '', undefined],
  ])('traceparent with %s → %s', (_name, value, expected) => {
    expect(traceIdOf(value)).toBe(expected);
  });
});
