// The recorder's pending request-log rows (src/domains/usage/request-log-rows.ts): kept in blocks
// of columns, dropped oldest first, taken in batches and put back, and written with COPY (binary
// format) as exactly what was recorded, read back from the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { RequestLogQueue, type RequestLogBatch, type RequestLogEntry } from '../../src/domains/usage/request-log-rows.ts';
import { appendRequestLogs } from '../../src/domains/usage/repository.ts';
import { isId, timeOfId } from '../../src/lib/ids.ts';
import { createTestDatabase } from '../support/database.ts';

const AT = Date.parse('2026-12-06T01:00:00.000Z');

const entry = (n: number, overrides: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  agencyId: 'agy_01jd5m0d9d6v3fw8p3n4q7r2s1',
  keyId: n % 3 === 0 ? 'key_01jd5m0d9d6v3fw8p3n4q7r2s1' : 'key_01jd5m0d9d6v3fw8p3n4q7r2s2',
  method: 'GET',
  path: `/api/v1/locations?n=${n}`,
  status: 200,
  durationMs: 1.5,
  requestId: `req_${n}`,
  clientIp: '10.0.0.1',
  ...overrides,
});

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** Writes the batches, as the recorder does, and reads their rows back in the order they were recorded. */
async function rowsOf(batches: readonly RequestLogBatch[]) {
  await sql`TRUNCATE api_request_log`.execute(database.db);
  for (const batch of batches) await appendRequestLogs(database.copyRows, batch);
  return database.db.selectFrom('api_request_log').selectAll().orderBy('id').execute();
}

describe('request-log rows', () => {
  it('writes each row as recorded, over several blocks, in batches that never split a block', async () => {
    const queue = new RequestLogQueue();
    for (let n = 0; n < 1234; n++) queue.push(entry(n, { status: 200 + (n % 7), durationMs: n / 1000 }), AT + n);
    expect(queue.length).toBe(1234);
    const batches = queue.takeAll(1000);
    expect(queue.length).toBe(0);
    // Blocks hold 500 rows: 1,000 and then 234.
    expect(batches.map((batch) => batch.rows)).toEqual([1000, 234]);
    const rows = await rowsOf(batches);
    expect(rows).toHaveLength(1234);
    for (const [n, row] of rows.entries()) {
      const { id, duration_ms, created_at, ...rest } = row;
      expect(rest).toEqual({
        agency_id: 'agy_01jd5m0d9d6v3fw8p3n4q7r2s1',
        key_id: entry(n).keyId,
        method: 'GET',
        client_ip: '10.0.0.1',
        path: `/api/v1/locations?n=${n}`,
        request_id: `req_${n}`,
        status: 200 + (n % 7),
      });
      expect(duration_ms).toBeCloseTo(n / 1000, 6);
      expect(created_at.toISOString()).toBe(new Date(AT + n).toISOString());
      expect(isId('reqlog', id)).toBe(true);
      expect(timeOfId(id)).toBe(AT + n);
    }
    expect(new Set(rows.map((row) => row.id)).size).toBe(1234);
  });

  it('keeps values that are not ASCII, and long paths, as strings and stores them as they were', async () => {
    const queue = new RequestLogQueue();
    const long = `/api/v1/leads?q=${'x'.repeat(5000)}`;
    queue.push(entry(1, { path: '/api/v1/x?a=\tb\\c&é=ü', requestId: 'req_\u0000', clientIp: null, method: 'PATCH' }), AT);
    queue.push(entry(2, { path: long }), AT + 1);
    queue.push(entry(3), AT + 2);
    const rows = await rowsOf(queue.takeAll(5000));
    expect(rows.map((row) => [row.method, row.client_ip, row.path, row.request_id])).toEqual([
      ['PATCH', null, '/api/v1/x?a=\tb\\c&é=ü', 'req_\uFFFD'],
      ['GET', '10.0.0.1', long, 'req_2'],
      ['GET', '10.0.0.1', '/api/v1/locations?n=3', 'req_3'],
    ]);
  });

  it('starts a new block when the paths fill one before its rows do', async () => {
    const queue = new RequestLogQueue();
    const path = `/api/v1/reviews?q=${'y'.repeat(2000)}`;
    for (let n = 0; n < 100; n++) queue.push(entry(n, { path }), AT + n);
    const batches = queue.takeAll(1);
    // About 2 KB a row: 31 rows to a 64 KB block.
    expect(batches.length).toBeGreaterThan(3);
    const rows = await rowsOf(batches);
    expect(rows.map((row) => row.request_id)).toEqual(Array.from({ length: 100 }, (_, n) => `req_${n}`));
    expect(rows.every((row) => row.path === path)).toBe(true);
  });

  it('reuses written blocks, their rows and COPY bytes replaced by the new ones', async () => {
    const queue = new RequestLogQueue();
    for (let n = 0; n < 600; n++) queue.push(entry(n, { path: `/api/v1/leads?first=${'a'.repeat(n % 50)}` }), AT + n);
    const first = queue.takeAll(5000);
    expect(await rowsOf(first)).toHaveLength(600);
    for (const batch of first) queue.reuse(batch);
    // Shorter rows in the same blocks: nothing of the first rows may show through.
    for (let n = 0; n < 550; n++) queue.push(entry(n, { path: `/b/${n}`, requestId: `r${n}`, clientIp: null }), AT + 1000 + n);
    const rows = await rowsOf(queue.takeAll(5000));
    expect(rows.map((row) => [row.path, row.request_id, row.client_ip])).toEqual(Array.from({ length: 550 }, (_, n) => [`/b/${n}`, `r${n}`, null]));
  });

  it('drops the oldest rows across blocks, and puts batches back ahead of newer rows', async () => {
    const queue = new RequestLogQueue();
    for (let n = 0; n < 1200; n++) queue.push(entry(n), AT + n);
    expect(queue.keepAtMost(2000)).toBe(0);
    expect(queue.keepAtMost(450)).toBe(750);
    expect(queue.length).toBe(450);
    const taken = queue.takeAll(5000);
    for (let n = 1200; n < 1210; n++) queue.push(entry(n), AT + n);
    queue.putBack(taken);
    expect(queue.length).toBe(460);
    expect(queue.keepAtMost(400)).toBe(60);
    const rows = await rowsOf(queue.takeAll(5000));
    expect(rows.map((row) => Number(row.request_id.slice(4)))).toEqual(Array.from({ length: 400 }, (_, i) => 810 + i));
  });
});
