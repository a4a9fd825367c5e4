import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError, notFound } from '../../kit/errors.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import { isId } from '../../lib/ids.ts';
import * as repo from './repository.ts';
import { MAX_USAGE_RANGE_DAYS, type Granularity, type RequestLog, type RequestLogFilter, type Usage, type UsageBucket, type UsageQuery } from './schemas.ts';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const BUCKET_MS: Record<Granularity, number> = { hour: HOUR_MS, day: DAY_MS };
/** The range a query without `from` covers. */
const DEFAULT_SPAN_MS: Record<Granularity, number> = { hour: DAY_MS, day: 7 * DAY_MS };

function invalid(path: string, message: string, detail: string): ApiError {
  return new ApiError('validation_failed', detail, { errors: [{ path, message }] });
}

const floorTo = (ms: number, size: number) => ms - (((ms % size) + size) % size);
const ceilTo = (ms: number, size: number) => floorTo(ms + size - 1, size);

/** The buckets a query covers, aligned to whole hours or UTC days; a 400 for an empty or too long range. */
export function usageRange(query: Pick<UsageQuery, 'from' | 'to'>, granularity: Granularity, now: Date): { from: Date; to: Date } {
  const size = BUCKET_MS[granularity];
  const to = ceilTo(query.to === undefined ? now.getTime() + 1 : Date.parse(query.to), size);
  const from = floorTo(query.from === undefined ? to - DEFAULT_SPAN_MS[granularity] : Date.parse(query.from), size);
  if (!(from < to)) throw invalid('query.to', 'must be later than from', '`to` must be later than `from`.');
  if (to - from > MAX_USAGE_RANGE_DAYS * DAY_MS) {
    throw invalid('query.from', `the range must be at most ${MAX_USAGE_RANGE_DAYS} days`, `A usage query covers at most ${MAX_USAGE_RANGE_DAYS} days (usage is kept 30); narrow \`from\`–\`to\`.`);
  }
  return { from: new Date(from), to: new Date(to) };
}

/** Every bucket of the range, the empty ones as zeros, so a chart needs no gap filling. */
function denseBuckets(rows: repo.UsageBucket[], range: { from: Date; to: Date }, size: number): UsageBucket[] {
  const byStart = new Map(rows.map((row) => [row.start.getTime(), row]));
  const buckets: UsageBucket[] = [];
  for (let start = range.from.getTime(); start < range.to.getTime(); start += size) {
    const row = byStart.get(start);
    const counts = { succeeded: row?.succeeded ?? 0, client_errors: row?.client_errors ?? 0, rate_limited: row?.rate_limited ?? 0, server_errors: row?.server_errors ?? 0 };
    buckets.push({ start: new Date(start).toISOString(), requests: counts.succeeded + counts.client_errors + counts.rate_limited + counts.server_errors, ...counts });
  }
  return buckets;
}

/** `4xx` → 400–499; `404` → 404–404. The schema has checked the shape. */
function statusRange(status: string): { min: number; max: number } {
  if (status.endsWith('xx')) {
    const hundreds = Number(status[0]) * 100;
    return { min: hundreds, max: hundreds + 99 };
  }
  return { min: Number(status), max: Number(status) };
}

function toRequestLog(row: repo.RequestLogRow): RequestLog {
  return {
    id: row.id,
    key_id: row.key_id,
    method: row.method,
    path: row.path,
    status: row.status,
    duration_ms: Math.round(row.duration_ms * 10) / 10,
    request_id: row.request_id,
    client_ip: row.client_ip,
    created_at: row.created_at.toISOString(),
  };
}

/** Reading the usage history and the request log; both are written by the recorder (recorder.ts). */
export function createUsageService(deps: {
  db: Kysely<DB>;
  clock: Clock;
  /** The key's current hourly limit; throws 404 for a key the agency does not have. */
  keyHourlyLimit: (agencyId: string, keyId: string) => Promise<number>;
}) {
  const { db, clock } = deps;
  return {
    async usage(agencyId: string, query: UsageQuery): Promise<Usage> {
      const granularity = query.granularity ?? 'hour';
      const range = usageRange(query, granularity, clock.now());
      const hourlyLimit = await deps.keyHourlyLimit(agencyId, query.key_id);
      const rows = await repo.sumUsage(db, agencyId, query.key_id, range, granularity);
      return {
        key_id: query.key_id,
        granularity,
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        hourly_limit: hourlyLimit,
        data: denseBuckets(rows, range, BUCKET_MS[granularity]),
      };
    },

    async listRequests(agencyId: string, filter: RequestLogFilter, page: PageRequest): Promise<Page<RequestLog>> {
      const since = filter.created_since === undefined ? undefined : new Date(filter.created_since);
      const until = filter.created_before === undefined ? undefined : new Date(filter.created_before);
      if (since && until && !(since < until)) {
        throw invalid('query.created_before', 'must be later than created_since', '`created_before` must be later than `created_since`.');
      }
      const rows = await repo.listRequestLogs(
        db,
        agencyId,
        { keyId: filter.key_id, status: filter.status === undefined ? undefined : statusRange(filter.status), pathPrefix: filter.path, since, until },
        page,
      );
      return toPage(rows, page.limit, toRequestLog);
    },

    async getRequest(agencyId: string, id: string): Promise<RequestLog> {
      const row = isId('reqlog', id) ? await repo.findRequestLog(db, agencyId, id) : undefined;
      if (!row) throw notFound('request log entry');
      return toRequestLog(row);
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
