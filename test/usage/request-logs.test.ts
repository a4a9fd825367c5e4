// GET /api/v1/request-logs and /api/v1/usage: filters, cursors, bad input, tenant and mode
// isolation, and a log that never holds a credential or a body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, login, type PortalLogin } from '../support/fixtures.ts';
import { createApiKey, PROBE, type CreatedKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

const MINUTE = 60_000;
const clock = createManualClock(new Date('2026-12-03T09:00:00.000Z'));
const BODY_MARKER = 'body-marker-never-logged';

interface RequestLog {
  id: string;
  key_id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  request_id: string;
  client_ip: string | null;
  created_at: string;
}
interface LogPage {
  data: RequestLog[];
  has_more: boolean;
  next_cursor: string | null;
}

let t: TestApp;
let reader: CreatedKey;
let other: CreatedKey;
let testKey: CreatedKey;
let foreign: CreatedKey;
let owner: PortalLogin;
/** The Request-Id of each request of `reader` and `other`, oldest first, with its status. */
const made: Array<{ requestId: string; keyId: string; status: number; path: string }> = [];

async function send(key: CreatedKey, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  const response = await t.app.inject({ method, url, headers: key.headers, ...(payload ? { payload } : {}) });
  if (key === reader || key === other) made.push({ requestId: String(response.headers['request-id']), keyId: key.id, status: response.statusCode, path: url });
  clock.advance(MINUTE);
  return response;
}

const flush = () => t.ctx.services.usageRecorder.flush();

async function list(query: string, headers: Record<string, string> = reader.headers): Promise<LogPage> {
  const response = await t.app.inject({ method: 'GET', url: `/api/v1/request-logs${query}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<LogPage>();
}

beforeAll(async () => {
  // Flushes happen when the test says so.
  t = await createTestApp({ clock, env: { FARO_USAGE_FLUSH_INTERVAL_MS: '600000' } });
  const agency = await createAgency(t.app);
  owner = await login(t.app, agency.email, agency.password);
  reader = await createApiKey(t.app, agency.id, { name: 'Reader', scopes: ['locations:read', 'usage:read'] });
  other = await createApiKey(t.app, agency.id, { name: 'Other', scopes: ['locations:read'] });
  testKey = await createApiKey(t.app, agency.id, { name: 'Sandbox', scopes: ['locations:read', 'usage:read'], mode: 'test' });
  foreign = await createApiKey(t.app, (await createAgency(t.app)).id, { scopes: ['locations:read', 'usage:read'] });

  await send(reader, 'GET', PROBE);
  await send(other, 'GET', `${PROBE}?limit=2`);
  await send(reader, 'GET', '/api/v1/locations/loc_01jd5m0d9d6v3fw8p3n4q7r2s1');
  // A credential in the query (refused as an unknown parameter, and logged redacted).
  await send(other, 'GET', `${PROBE}?access_token=s3cr3t-value&note=${reader.key}`);
  // A body the key may not send: refused (403) and logged without it.
  await send(other, 'POST', '/api/v1/leads', { name: BODY_MARKER, email: 'lead@example.test' });
  await send(reader, 'GET', `${PROBE}?limit=1`);
  // Another agency's and the sandbox's requests, and a portal session's (not recorded).
  await send(foreign, 'GET', PROBE);
  await send(testKey, 'GET', PROBE);
  await t.app.inject({ method: 'GET', url: PROBE, headers: { cookie: owner.cookie } });
  await flush();
});
afterAll(async () => {
  await t?.close();
});

describe('GET /api/v1/request-logs', () => {
  it('lists the agency’s live requests newest first, each as it was answered', async () => {
    const page = await list('');
    expect(page.has_more).toBe(false);
    expect(page.data.map((row) => row.request_id)).toEqual(made.map((m) => m.requestId).reverse());
    expect(page.data.map((row) => [row.key_id, row.status])).toEqual(made.map((m) => [m.keyId, m.status]).reverse());
    const first = page.data.at(-1)!;
    expect(first).toMatchObject({ method: 'GET', path: PROBE, status: 200, client_ip: '127.0.0.1' });
    // Arrival = the clock when the response went out, less the time it took (the test clock stood still).
    expect(first.duration_ms).toBeGreaterThanOrEqual(0);
    const arrivedBy = Date.parse('2026-12-03T09:00:00.000Z') - Date.parse(first.created_at);
    expect(Math.abs(arrivedBy - first.duration_ms)).toBeLessThanOrEqual(1);
    expect(page.data.find((row) => row.method === 'POST')).toMatchObject({ path: '/api/v1/leads', status: 403 });
  });

  it('never holds a credential, an Authorization header or a body', async () => {
    const page = await list('');
    const redacted = page.data.find((row) => row.path.includes('access_token'))!;
    expect(redacted.path).toBe(`${PROBE}?access_token=[redacted]&note=[redacted]`);
    const everything = JSON.stringify(await t.ctx.db.selectFrom('api_request_log').selectAll().execute());
    for (const secret of [reader.key, other.key, testKey.key, foreign.key, 's3cr3t-value', 'Bearer', BODY_MARKER, 'lead@example.test', owner.cookie]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('filters by key, status, status class, path prefix and time', async () => {
    const byKey = await list(`?key_id=${other.id}`);
    expect(byKey.data.map((row) => row.request_id)).toEqual(made.filter((m) => m.keyId === other.id).map((m) => m.requestId).reverse());
    expect((await list('?status=4xx')).data.map((row) => row.status)).toEqual(made.filter((m) => m.status >= 400).map((m) => m.status).reverse());
    expect((await list('?status=404')).data.map((row) => row.status)).toEqual([404]);
    expect((await list('?status=5xx')).data).toEqual([]);
    expect((await list('?path=/api/v1/leads')).data.map((row) => row.method)).toEqual(['POST']);
    expect((await list('?path=/api/v1/locations?limit=')).data).toHaveLength(2);
    // A LIKE wildcard is only a character.
    expect((await list('?path=/api/v1/%25')).data).toEqual([]);
    const window = await list('?created_since=2026-12-03T09:00:30Z&created_before=2026-12-03T09:02:30Z');
    expect(window.data.map((row) => row.request_id)).toEqual([made[2]!.requestId, made[1]!.requestId]);
  });

  it('pages with a cursor, newest first, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: LogPage = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((row) => row.request_id));
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(made.map((m) => m.requestId).reverse());
  });

  it('opens one entry; another agency’s, a sandbox’s and a malformed id are 404', async () => {
    const [newest] = (await list('?limit=1')).data;
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/request-logs/${newest!.id}`, headers: reader.headers });
    expect(one.json()).toEqual(newest);
    const foreignRow = (await list('', foreign.headers)).data[0]!;
    const sandboxRow = (await list('', testKey.headers)).data[0]!;
    for (const id of [foreignRow.id, sandboxRow.id, 'reqlog_nope', 'key_01jd5m0d9d6v3fw8p3n4q7r2s1']) {
      expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/request-logs/${id}`, headers: reader.headers }), 404, 'not_found');
    }
  });

  it('keeps agencies and modes apart', async () => {
    await flush();
    const foreignPage = await list('', foreign.headers);
    expect(foreignPage.data.length).toBeGreaterThan(0);
    expect(foreignPage.data.every((row) => row.key_id === foreign.id)).toBe(true);
    // The sandbox sees its test key's requests only, through the key and through the portal's test mode.
    const sandboxPage = await list('', testKey.headers);
    expect(new Set(sandboxPage.data.map((row) => row.key_id))).toEqual(new Set([testKey.id]));
    const portalTest = await list('', { cookie: owner.cookie, 'faro-mode': 'test' });
    expect(portalTest.data.map((row) => row.id)).toEqual(expect.arrayContaining(sandboxPage.data.map((row) => row.id)));
    expect(portalTest.data.every((row) => row.key_id === testKey.id)).toBe(true);
    const portalLive = await list('', { cookie: owner.cookie });
    expect(portalLive.data.some((row) => row.key_id === testKey.id || row.key_id === foreign.id)).toBe(false);
    // A live key filtering on another agency's or the sandbox's key finds nothing.
    expect((await list(`?key_id=${testKey.id}`)).data).toEqual([]);
    expect((await list(`?key_id=${foreign.id}`)).data).toEqual([]);
  });

  it('answers bad filters with a 400 problem', async () => {
    for (const query of ['?status=4x', '?status=600', '?status=abc', '?key_id=nope', '?path=leads', '?limit=0', '?limit=101', '?cursor=%%%', '?created_since=yesterday', '?since=2026-01-01T00:00:00Z']) {
      expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/request-logs${query}`, headers: reader.headers }), 400, query.startsWith('?cursor') ? 'invalid_cursor' : 'validation_failed');
    }
    const reversed = await t.app.inject({ method: 'GET', url: '/api/v1/request-logs?created_since=2026-12-03T10:00:00Z&created_before=2026-12-03T09:00:00Z', headers: reader.headers });
    expect(expectProblem(reversed, 400, 'validation_failed').errors).toEqual([{ path: 'query.created_before', message: 'must be later than created_since' }]);
  });

  it('needs usage:read', async () => {
    const refused = expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/request-logs', headers: other.headers }), 403, 'insufficient_scope');
    expect(refused.required_scope).toBe('usage:read');
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/usage?key_id=${other.id}`, headers: other.headers }), 403, 'insufficient_scope');
  });
});

describe('GET /api/v1/usage', () => {
  const usage = (query: string, headers: Record<string, string> = reader.headers) => t.app.inject({ method: 'GET', url: `/api/v1/usage${query}`, headers });

  it('answers the last 24 hours by default, for any key of the agency', async () => {
    await flush();
    const response = await usage(`?key_id=${other.id}`);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ from: string; to: string; data: Array<{ requests: number; client_errors: number }>; hourly_limit: number }>();
    expect(body.data).toHaveLength(24);
    expect(body.hourly_limit).toBe(1000);
    // The same requests the log holds for the key, by outcome.
    const logged = (await list(`?key_id=${other.id}`)).data;
    expect(body.data.reduce((sum, b) => sum + b.requests, 0)).toBe(logged.length);
    expect(body.data.reduce((sum, b) => sum + b.client_errors, 0)).toBe(logged.filter((row) => row.status >= 400).length);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(24 * 3600_000);
    const week = (await usage(`?key_id=${other.id}&granularity=day`)).json<{ data: unknown[] }>();
    expect(week.data).toHaveLength(7);
  });

  it('answers 404 for a key of another agency or of the other mode', async () => {
    expectProblem(await usage(`?key_id=${foreign.id}`), 404, 'not_found');
    expectProblem(await usage(`?key_id=${testKey.id}`), 404, 'not_found');
    expectProblem(await usage(`?key_id=${reader.id}`, testKey.headers), 404, 'not_found');
    expect((await usage(`?key_id=${testKey.id}`, { cookie: owner.cookie, 'faro-mode': 'test' })).statusCode).toBe(200);
  });

  it('answers bad ranges and granularities with a 400 problem', async () => {
    const bad = [
      '',
      '?key_id=nope',
      `?key_id=${reader.id}&granularity=week`,
      `?key_id=${reader.id}&from=yesterday`,
      `?key_id=${reader.id}&from=2026-12-03T10:00:00Z&to=2026-12-03T09:00:00Z`,
      `?key_id=${reader.id}&from=2026-12-03T10:00:00Z&to=2026-12-03T10:00:00Z`,
      `?key_id=${reader.id}&from=2026-10-01T00:00:00Z&to=2026-12-03T00:00:00Z`,
      `?key_id=${reader.id}&unknown=1`,
    ];
    for (const query of bad) expectProblem(await usage(query), 400, 'validation_failed');
    // 31 days is the most one query covers.
    expect((await usage(`?key_id=${reader.id}&from=2026-11-02T00:00:00Z&to=2026-12-03T00:00:00Z&granularity=day`)).statusCode).toBe(200);
  });
});
