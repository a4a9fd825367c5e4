// Usage history and request log recording: counted per process, written in batches on a
// controlled clock; several instances add into the same hour; a failing flush keeps its counts.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createManualClock } from '../../src/lib/clock.ts';
import { createUsageRecorder, type RecordedRequest } from '../../src/domains/usage/recorder.ts';
import { createRetentionJob } from '../../src/jobs/retention.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency } from '../support/fixtures.ts';
import { createApiKey, PROBE, type CreatedKey } from '../support/api-keys.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** 10:20 UTC on a fixed day, so hour and day buckets are known. */
const START = new Date('2026-12-01T10:20:00.000Z');
const clock = createManualClock(START);
const silent = pino({ level: 'silent' }) as FastifyBaseLogger;
/** Flushes happen when the test says so. */
const usageConfig = { flushIntervalMs: 600_000, requestLogBuffer: 1000 };

interface UsageBody {
  key_id: string;
  granularity: string;
  from: string;
  to: string;
  hourly_limit: number;
  data: Array<{ start: string; requests: number; succeeded: number; client_errors: number; rate_limited: number; server_errors: number }>;
}

/** Records the statements that reach the database through it: each one's first line. */
function statementCounter() {
  const counts: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
      const text = node.kind === 'RawNode' ? node.sqlFragments.join('?') : node.kind;
      counts.push(text.trim().split('\n')[0]!.trim());
      return node;
    },
    async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return result;
    },
  };
  return { counts, plugin };
}

let t: TestApp;
let agencyId: string;
let key: CreatedKey;

beforeAll(async () => {
  t = await createTestApp({ clock, env: { FARO_USAGE_FLUSH_INTERVAL_MS: String(usageConfig.flushIntervalMs) } });
  agencyId = (await createAgency(t.app, { tier: 'enterprise', api_rate_limit: 5 })).id;
  key = await createApiKey(t.app, agencyId, { scopes: ['locations:read', 'usage:read'] });
});
afterAll(async () => {
  await t?.close();
});

async function usage(query: string): Promise<UsageBody> {
  const response = await t.app.inject({ method: 'GET', url: `/api/v1/usage?key_id=${key.id}&${query}`, headers: key.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<UsageBody>();
}

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: key.headers });

const request = (overrides: Partial<RecordedRequest> = {}): RecordedRequest => ({
  agencyId,
  keyId: key.id,
  method: 'GET',
  path: PROBE,
  status: 200,
  durationMs: 3,
  requestId: 'req_test',
  clientIp: '127.0.0.1',
  ...overrides,
});

describe('usage recording', () => {
  it('counts each request in the hour it arrived, by outcome, and answers hours and UTC days', async () => {
    // 10:20: three successes, one 404, one 403 (missing scope); the limit is 5 per hour.
    for (let i = 0; i < 3; i++) expect((await get(PROBE)).statusCode).toBe(200);
    expect((await get('/api/v1/locations/loc_01jd5m0d9d6v3fw8p3n4q7r2s1')).statusCode).toBe(404);
    expect((await get('/api/v1/leads')).statusCode).toBe(403);
    // A request the key's limit refuses is counted as rate limited (the 403 was not counted by the limiter).
    expect((await get(PROBE)).statusCode).toBe(200);
    expect((await get(PROBE)).statusCode).toBe(429);
    // 11:10, within the rolling hour: still refused; an hour later, admitted again.
    clock.set(new Date('2026-12-01T11:10:00.000Z'));
    expect((await get(PROBE)).statusCode).toBe(429);
    clock.advance(HOUR);
    expect((await get(PROBE)).statusCode).toBe(200);
    await t.ctx.services.usageRecorder.flush();

    const hours = await usage('from=2026-12-01T09:00:00Z&to=2026-12-01T13:00:00Z&granularity=hour');
    expect(hours.hourly_limit).toBe(5);
    expect(hours.data.map((b) => [b.start, b.succeeded, b.client_errors, b.rate_limited, b.server_errors, b.requests])).toEqual([
      ['2026-12-01T09:00:00.000Z', 0, 0, 0, 0, 0],
      ['2026-12-01T10:00:00.000Z', 4, 2, 1, 0, 7],
      ['2026-12-01T11:00:00.000Z', 0, 0, 1, 0, 1],
      ['2026-12-01T12:00:00.000Z', 1, 0, 0, 0, 1],
    ]);
    // The usage queries themselves are requests of the key: they count in the hour they were made.
    await t.ctx.services.usageRecorder.flush();
    const days = await usage('from=2026-11-30T12:00:00Z&to=2026-12-01T23:00:00Z&granularity=day');
    expect(days.from).toBe('2026-11-30T00:00:00.000Z');
    expect(days.to).toBe('2026-12-02T00:00:00.000Z');
    expect(days.data.map((b) => [b.start, b.succeeded, b.client_errors, b.rate_limited])).toEqual([
      ['2026-11-30T00:00:00.000Z', 0, 0, 0],
      ['2026-12-01T00:00:00.000Z', 6, 2, 2],
    ]);
  });

  it('writes N recorded requests with one upsert and one COPY', async () => {
    const { counts, plugin } = statementCounter();
    const countedCopy: typeof t.database.copyRows = async (table, columns, rows) => {
      counts.push(`COPY ${table}`);
      await t.database.copyRows(table, columns, rows);
    };
    const recorder = createUsageRecorder({ db: t.ctx.db.withPlugin(plugin), copyRows: countedCopy, clock, logger: silent, config: usageConfig });
    clock.set(new Date('2026-12-02T08:10:00.000Z'));
    for (let i = 0; i < 250; i++) recorder.record(request({ status: i % 50 === 0 ? 503 : 200 }));
    expect(counts).toEqual([]);
    await recorder.flush();
    const writes = [
      'INSERT INTO api_usage_hourly AS t (key_id, hour, agency_id, succeeded, client_errors, rate_limited, server_errors)',
      'COPY api_request_log',
    ];
    expect(counts).toEqual(writes);
    // Nothing new: a flush writes nothing.
    await recorder.flush();
    expect(counts).toEqual(writes);
    await recorder.stop();
    const body = await usage('from=2026-12-02T08:00:00Z&to=2026-12-02T09:00:00Z');
    expect(body.data).toEqual([{ start: '2026-12-02T08:00:00.000Z', requests: 250, succeeded: 245, client_errors: 0, rate_limited: 0, server_errors: 5 }]);
    const logged = await t.ctx.db.selectFrom('api_request_log').select((eb) => eb.fn.countAll<number>().as('n')).where('request_id', '=', 'req_test').executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(250);
  });

  it('stores every value as it was recorded, whatever characters it holds (COPY escaping)', async () => {
    clock.set(new Date('2026-12-02T08:20:00.123Z'));
    const recorder = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: usageConfig });
    const odd = [
      { path: '/api/v1/locations?q=a\tb\\c\nd\re', requestId: 'req_copy_tabs', clientIp: null, durationMs: 0.123456 },
      { path: '/api/v1/leads?note=\\N', requestId: 'req_copy_backslash_n', clientIp: '::1', durationMs: 1234.5 },
      { path: '/api/v1/x\u0000y?é=ü&emoji=🚀', requestId: 'req_copy_nul', clientIp: '10.0.0.1', durationMs: 7 },
    ];
    for (const values of odd) recorder.record(request(values));
    await recorder.stop();
    const rows = await t.ctx.db.selectFrom('api_request_log').select(['path', 'request_id', 'client_ip', 'duration_ms', 'created_at']).where('request_id', 'like', 'req_copy_%').orderBy('request_id').execute();
    expect(rows.map((row) => [row.request_id, row.path, row.client_ip, row.duration_ms])).toEqual([
      ['req_copy_backslash_n', '/api/v1/leads?note=\\N', '::1', 1234.5],
      ['req_copy_nul', '/api/v1/x\uFFFDy?é=ü&emoji=🚀', '10.0.0.1', 7],
      ['req_copy_tabs', '/api/v1/locations?q=a\tb\\c\nd\re', null, expect.closeTo(0.123456, 5)],
    ]);
    // Each row's time is the request's arrival: the clock less its duration.
    expect(rows[1]!.created_at.toISOString()).toBe('2026-12-02T08:20:00.116Z');
  });

  it('writes early when requests fill half the log buffer before the interval, and drops none', async () => {
    clock.set(new Date('2026-12-02T08:40:00.000Z'));
    const recorder = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: { ...usageConfig, requestLogBuffer: 100 } });
    // 1,000 requests in bursts of 30, more than the buffer holds, and the interval never comes.
    for (let burst = 0; burst < 1000 / 30 + 1; burst++) {
      for (let i = burst * 30; i < Math.min(1000, (burst + 1) * 30); i++) recorder.record(request({ requestId: `req_burst_${i}` }));
      // Without an early flush the rows would pile up here until the buffer dropped them.
      await vi.waitFor(() => expect(recorder.stats().pendingLogs).toBeLessThan(50), { timeout: 10_000 });
    }
    await recorder.stop();
    expect(recorder.stats()).toMatchObject({ droppedLogs: 0, failedFlushes: 0 });
    const logged = await t.ctx.db.selectFrom('api_request_log').select((eb) => eb.fn.countAll<number>().as('n')).where('request_id', 'like', 'req_burst_%').executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(1000);
  });

  it('adds what two instances counted in the same hour', async () => {
    clock.set(new Date('2026-12-02T09:30:00.000Z'));
    const first = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: usageConfig });
    const second = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: usageConfig });
    for (let i = 0; i < 7; i++) first.record(request());
    for (let i = 0; i < 5; i++) second.record(request({ status: 429 }));
    await Promise.all([first.flush(), second.flush()]);
    first.record(request({ status: 400 }));
    await first.stop();
    await second.stop();
    const body = await usage('from=2026-12-02T09:00:00Z&to=2026-12-02T10:00:00Z');
    expect(body.data[0]).toMatchObject({ requests: 13, succeeded: 7, rate_limited: 5, client_errors: 1 });
  });

  it('keeps its counts and log rows while the database refuses the writes, then writes them once', async () => {
    clock.set(new Date('2026-12-02T10:30:00.000Z'));
    const recorder = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: { ...usageConfig, requestLogBuffer: 100 } });
    const away = sql`ALTER TABLE api_usage_hourly RENAME TO api_usage_hourly_away`;
    const back = sql`ALTER TABLE api_usage_hourly_away RENAME TO api_usage_hourly`;
    await away.execute(t.ctx.db);
    try {
      for (let i = 0; i < 60; i++) recorder.record(request({ requestId: `req_outage_${i}` }));
      await recorder.flush();
      // The 50th row (half the buffer) started a flush early; it failed too, and no more start early.
      expect(recorder.stats()).toMatchObject({ failedFlushes: 2, pendingLogs: 60, pendingKeyHours: 1, droppedLogs: 0 });
      // More arrive during the outage: counts merge, log rows past the buffer drop oldest first.
      for (let i = 60; i < 150; i++) recorder.record(request({ requestId: `req_outage_${i}` }));
      await recorder.flush();
      expect(recorder.stats()).toMatchObject({ failedFlushes: 3, pendingLogs: 100, pendingKeyHours: 1, droppedLogs: 50 });
    } finally {
      await back.execute(t.ctx.db);
    }
    await recorder.flush();
    expect(recorder.stats()).toMatchObject({ pendingLogs: 0, pendingKeyHours: 0 });
    await recorder.flush();
    const body = await usage('from=2026-12-02T10:00:00Z&to=2026-12-02T11:00:00Z');
    expect(body.data[0]!.succeeded).toBe(150);
    const rows = await t.ctx.db.selectFrom('api_request_log').select('request_id').where('request_id', 'like', 'req_outage_%').execute();
    const kept = rows.map((row) => Number(row.request_id.slice('req_outage_'.length))).sort((a, b) => a - b);
    expect(kept).toEqual(Array.from({ length: 100 }, (_, i) => i + 50));
  });

  it('keeps the log rows when only their COPY fails, and writes the counts once', async () => {
    clock.set(new Date('2026-12-02T11:30:00.000Z'));
    const recorder = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: usageConfig });
    await sql`ALTER TABLE api_request_log RENAME TO api_request_log_away`.execute(t.ctx.db);
    try {
      for (let i = 0; i < 12; i++) recorder.record(request({ requestId: `req_copy_fails_${i}` }));
      await recorder.flush();
      await recorder.flush();
      expect(recorder.stats()).toMatchObject({ failedFlushes: 2, pendingLogs: 12, pendingKeyHours: 0, droppedLogs: 0 });
    } finally {
      await sql`ALTER TABLE api_request_log_away RENAME TO api_request_log`.execute(t.ctx.db);
    }
    await recorder.stop();
    expect(recorder.stats()).toMatchObject({ pendingLogs: 0 });
    const body = await usage('from=2026-12-02T11:00:00Z&to=2026-12-02T12:00:00Z');
    expect(body.data[0]!.succeeded).toBe(12);
    const logged = await t.ctx.db.selectFrom('api_request_log').select((eb) => eb.fn.countAll<number>().as('n')).where('request_id', 'like', 'req_copy_fails_%').executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(12);
  });

  it('retention deletes usage older than 30 days and request log rows older than 7', async () => {
    const now = new Date('2026-12-20T12:30:00.000Z');
    const recorder = createUsageRecorder({ db: t.ctx.db, copyRows: t.database.copyRows, clock, logger: silent, config: usageConfig });
    for (const daysAgo of [31, 29, 8, 6]) {
      clock.set(new Date(now.getTime() - daysAgo * DAY));
      recorder.record(request({ requestId: `req_age_${daysAgo}` }));
    }
    await recorder.stop();
    clock.set(now);
    const job = createRetentionJob({ db: t.ctx.db, clock, config: t.ctx.config, logger: silent });
    const pruned = await job.runOnce();
    expect(pruned.api_request_logs).toBeGreaterThanOrEqual(2);
    const logs = await t.ctx.db.selectFrom('api_request_log').select('request_id').where('request_id', 'like', 'req_age_%').execute();
    expect(logs.map((row) => row.request_id)).toEqual(['req_age_6']);
    const hours = await t.ctx.db.selectFrom('api_usage_hourly').select('hour').where('key_id', '=', key.id).execute();
    const oldest = Math.min(...hours.map((row) => row.hour.getTime()));
    expect(now.getTime() - oldest).toBeLessThanOrEqual(30 * DAY);
    expect(hours.some((row) => row.hour.getTime() === new Date('2026-11-21T12:00:00.000Z').getTime())).toBe(true);
    expect(pruned.api_usage_hours).toBeGreaterThanOrEqual(1);
  });

  it('records nothing with FARO_USAGE_RECORDING=off', async () => {
    const off = await createTestApp({ clock, database: t.database, env: { FARO_USAGE_RECORDING: 'off' } });
    try {
      const quiet = await createApiKey(off.app, agencyId, { scopes: ['locations:read'] });
      expect((await off.app.inject({ method: 'GET', url: PROBE, headers: quiet.headers })).statusCode).toBe(200);
      await off.ctx.services.usageRecorder.flush();
      expect(off.ctx.services.usageRecorder.stats()).toMatchObject({ pendingLogs: 0, pendingKeyHours: 0 });
      const rows = await t.ctx.db.selectFrom('api_request_log').select('id').where('key_id', '=', quiet.id).execute();
      expect(rows).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
