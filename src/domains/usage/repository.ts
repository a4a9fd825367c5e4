/** The usage history (`api_usage_hourly`) and the request log (`api_request_log`) of the public API. */
import { sql } from 'kysely';
import type { Executor } from '../../db/types.ts';
import { idFloor } from '../../lib/ids.ts';
import { REQUEST_LOG_COPY_COLUMNS, type RequestLogBatch } from './request-log-rows.ts';

export interface UsageCounts {
  succeeded: number;
  client_errors: number;
  rate_limited: number;
  server_errors: number;
}

export interface HourlyUsage extends UsageCounts {
  agency_id: string;
  key_id: string;
  hour: Date;
}

/**
 * Adds counted requests to their hourly rows in one statement. Every instance adds rather than
 * sets, so any number of them can flush into the same hour. Rows go in as one array per column
 * (`unnest`): one short statement whatever the batch size, where a VALUES list would be a new
 * text, parsed and planned afresh, for every size. At most one row per key and hour.
 */
export async function addHourlyUsage(db: Executor, rows: readonly HourlyUsage[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: HourlyUsage) => T) => rows.map(pick);
  await sql`
    INSERT INTO api_usage_hourly AS t (key_id, hour, agency_id, succeeded, client_errors, rate_limited, server_errors)
    SELECT * FROM unnest(
      ${column((r) => r.key_id)}::text[], ${column((r) => r.hour.toISOString())}::timestamptz[], ${column((r) => r.agency_id)}::text[],
      ${column((r) => r.succeeded)}::int8[], ${column((r) => r.client_errors)}::int8[], ${column((r) => r.rate_limited)}::int8[], ${column((r) => r.server_errors)}::int8[])
    ON CONFLICT (key_id, hour) DO UPDATE SET
      succeeded = t.succeeded + excluded.succeeded,
      client_errors = t.client_errors + excluded.client_errors,
      rate_limited = t.rate_limited + excluded.rate_limited,
      server_errors = t.server_errors + excluded.server_errors`.execute(db);
}

export type UsageBucket = UsageCounts & { start: Date };

/**
 * A key's counts in [from, to) summed per bucket (`hour` or `day`, UTC); only buckets with
 * requests come back. The agency condition keeps another agency's key id from matching.
 */
export async function sumUsage(db: Executor, agencyId: string, keyId: string, range: { from: Date; to: Date }, granularity: 'hour' | 'day'): Promise<UsageBucket[]> {
  const bucket = granularity === 'hour' ? sql<Date>`hour` : sql<Date>`date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  return db
    .selectFrom('api_usage_hourly')
    .select([
      bucket.as('start'),
      sql<number>`sum(succeeded)::int8`.as('succeeded'),
      sql<number>`sum(client_errors)::int8`.as('client_errors'),
      sql<number>`sum(rate_limited)::int8`.as('rate_limited'),
      sql<number>`sum(server_errors)::int8`.as('server_errors'),
    ])
    .where('agency_id', '=', agencyId)
    .where('key_id', '=', keyId)
    .where('hour', '>=', range.from)
    .where('hour', '<', range.to)
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
}

/** Deletes up to `batchSize` hourly rows older than `cutoff`; returns how many. */
export async function pruneUsage(db: Executor, cutoff: Date, batchSize: number): Promise<number> {
  const result = await sql`
    DELETE FROM api_usage_hourly WHERE (key_id, hour) IN (
      SELECT key_id, hour FROM api_usage_hourly WHERE hour < ${cutoff}::timestamptz LIMIT ${batchSize}::int)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export type CopyRows = (table: string, columns: readonly string[], rows: AsyncIterable<Uint8Array>) => Promise<void>;

/**
 * Appends log rows with one COPY. An INSERT of the same rows as arrays (`unnest`) cost Postgres
 * 6 µs a row, most of it parsing the arrays; COPY costs it 4 as text and about 3.3 in the binary
 * format, and the API process less too (bench/api/recorder-part.ts).
 */
export async function appendRequestLogs(copyRows: CopyRows, batch: RequestLogBatch): Promise<void> {
  if (batch.rows > 0) await copyRows('api_request_log', REQUEST_LOG_COPY_COLUMNS, batch.copyData());
}

export interface RequestLogFilters {
  keyId?: string | undefined;
  /** Inclusive bounds of the status: one code, or a class (400–499). */
  status?: { min: number; max: number } | undefined;
  /** The path (with its query) starts with this. */
  pathPrefix?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** An agency's requests, newest first. Time bounds are id ranges (ids are time-ordered) of the (agency_id, id) primary key. */
export async function listRequestLogs(db: Executor, agencyId: string, filters: RequestLogFilters, page: { limit: number; before?: string | undefined }) {
  let query = db.selectFrom('api_request_log').selectAll().where('agency_id', '=', agencyId);
  if (filters.keyId) query = query.where('key_id', '=', filters.keyId);
  if (filters.status) query = query.where('status', '>=', filters.status.min).where('status', '<=', filters.status.max);
  if (filters.pathPrefix) query = query.where('path', 'like', sql<string>`${escapeLike(filters.pathPrefix) + '%'}`);
  if (filters.since) query = query.where('id', '>=', idFloor('reqlog', filters.since));
  if (filters.until) query = query.where('id', '<', idFloor('reqlog', filters.until));
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}
export type RequestLogRow = Awaited<ReturnType<typeof listRequestLogs>>[number];

export async function findRequestLog(db: Executor, agencyId: string, id: string): Promise<RequestLogRow | undefined> {
  return db.selectFrom('api_request_log').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).executeTakeFirst();
}

/** Deletes up to `batchSize` log rows written before `cutoff`; returns how many. */
export async function pruneRequestLogs(db: Executor, cutoff: Date, batchSize: number): Promise<number> {
  const result = await sql`
    DELETE FROM api_request_log WHERE (agency_id, id) IN (
      SELECT agency_id, id FROM api_request_log WHERE created_at < ${cutoff}::timestamptz LIMIT ${batchSize}::int)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
