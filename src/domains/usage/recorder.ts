/**
 * Counts and logs public API requests off the hot path. Recording a request is a Map increment
 * and a row copied into a block of columns (request-log-rows.ts); every `flushIntervalMs` (and on
 * stop) the counts go out as one upsert that adds to the hourly rows, and the buffered log rows
 * as one COPY. A flush that fails
 * (the database is away) keeps what it held and the next one tries again: counts merge back
 * (one entry per key and hour, so they stay small), log rows are bounded by `requestLogBuffer`
 * with the oldest dropped first and counted. Requests never wait on any of it.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import * as repo from './repository.ts';
import { RequestLogQueue, type RequestLogEntry } from './request-log-rows.ts';

const HOUR_MS = 3600_000;
/** Rows per COPY, so one stays about a megabyte. */
const LOG_ROWS_PER_COPY = 5000;
/**
 * Key-hours counted while flushes fail. One entry per key per hour: 100,000 is 100 keys through a
 * 40-day outage; past it new key-hours are dropped (and counted) rather than memory growing.
 */
const MAX_PENDING_KEY_HOURS = 100_000;

/** What the request hook hands over once the response has gone out. */
export type RecordedRequest = RequestLogEntry;

type Outcome = keyof repo.UsageCounts;

export function outcomeOf(status: number): Outcome {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_errors';
  if (status >= 400) return 'client_errors';
  return 'succeeded';
}

type PendingHour = repo.HourlyUsage;

export interface UsageRecorderStats {
  /** Log rows dropped because the buffer was full (the database was away too long). */
  droppedLogs: number;
  /** Key-hours of counts dropped because too many were pending. */
  droppedKeyHours: number;
  failedFlushes: number;
  pendingLogs: number;
  pendingKeyHours: number;
}

export function createUsageRecorder(deps: {
  db: Kysely<DB>;
  /** The database's COPY (Database.copyRows), which the log rows go through. */
  copyRows: repo.CopyRows;
  clock: Clock;
  logger: FastifyBaseLogger;
  config: { flushIntervalMs: number; requestLogBuffer: number };
}) {
  const { db, copyRows, clock, logger, config } = deps;
  // By key id, then hour: the key id is the cached key's own string, whose hash V8 keeps, so the
  // lookup per request hashes no new string.
  let counts = new Map<string, Map<number, PendingHour>>();
  let pendingKeyHours = 0;
  const logs = new RequestLogQueue();
  const stats = { droppedLogs: 0, droppedKeyHours: 0, failedFlushes: 0 };
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | null = null;
  let lastFlushFailed = false;
  // Past half the buffer a flush starts early: at thousands of requests a second an instance fills
  // the buffer within one interval, and waiting for the timer would drop rows with the database up.
  const flushEarlyAt = Math.max(1, Math.floor(config.requestLogBuffer / 2));

  /** Adds a key-hour's counts to what is pending (a new one only while under the bound). */
  function add(row: PendingHour): void {
    let hours = counts.get(row.key_id);
    const pending = hours?.get(row.hour.getTime());
    if (pending) {
      pending.succeeded += row.succeeded;
      pending.client_errors += row.client_errors;
      pending.rate_limited += row.rate_limited;
      pending.server_errors += row.server_errors;
    } else if (pendingKeyHours < MAX_PENDING_KEY_HOURS) {
      if (!hours) counts.set(row.key_id, (hours = new Map()));
      hours.set(row.hour.getTime(), row);
      pendingKeyHours++;
    } else {
      stats.droppedKeyHours++;
    }
  }

  function keepLogs(): void {
    stats.droppedLogs += logs.keepAtMost(config.requestLogBuffer);
  }

  function ensureTimer(): void {
    if (timer) return;
    timer = setInterval(() => void flush(), config.flushIntervalMs);
    timer.unref();
  }

  async function flushOnce(): Promise<void> {
    if (pendingKeyHours === 0 && logs.length === 0) return;
    const hourly = [...counts.values()].flatMap((hours) => [...hours.values()]);
    const batches = logs.takeAll(LOG_ROWS_PER_COPY);
    counts = new Map();
    pendingKeyHours = 0;
    let written = 0;
    try {
      await repo.addHourlyUsage(db, hourly);
      lastFlushFailed = false;
      // Counts are written: a failure below must not put them back (they would be added twice).
      hourly.length = 0;
      for (; written < batches.length; written++) {
        await repo.appendRequestLogs(copyRows, batches[written]!);
        logs.reuse(batches[written]!);
      }
    } catch (error) {
      stats.failedFlushes++;
      lastFlushFailed = true;
      // What this flush held goes back ahead of what arrived meanwhile.
      for (const row of hourly) add(row);
      logs.putBack(batches.slice(written));
      keepLogs();
      logger.warn({ err: error, pending_logs: logs.length, pending_key_hours: pendingKeyHours, dropped_logs: stats.droppedLogs }, 'usage: flush failed; kept for the next one');
    }
  }

  /** One flush at a time; a call during a flush waits for it and then flushes what came since. */
  async function flush(): Promise<void> {
    while (flushing) await flushing;
    flushing = flushOnce().finally(() => {
      flushing = null;
      // Rows that crossed the early mark while this flush ran go now, not with the next request.
      if (logs.length >= flushEarlyAt && !lastFlushFailed) void flush();
    });
    await flushing;
  }

  return {
    record(request: RecordedRequest): void {
      // A request counts in the hour it arrived, the hour its log row says.
      const arrivedMs = clock.now().getTime() - Math.round(request.durationMs);
      const hourMs = arrivedMs - (arrivedMs % HOUR_MS);
      const outcome = outcomeOf(request.status);
      const pending = counts.get(request.keyId)?.get(hourMs);
      if (pending) {
        pending[outcome]++;
      } else {
        const row: PendingHour = { agency_id: request.agencyId, key_id: request.keyId, hour: new Date(hourMs), succeeded: 0, client_errors: 0, rate_limited: 0, server_errors: 0 };
        row[outcome] = 1;
        add(row);
      }
      logs.push(request, arrivedMs);
      // While the database refuses writes the timer alone retries, not every request.
      if (logs.length >= flushEarlyAt && !flushing && !lastFlushFailed) void flush();
      else if (logs.length > config.requestLogBuffer) keepLogs();
      ensureTimer();
    },
    flush,
    stats(): UsageRecorderStats {
      return { ...stats, pendingLogs: logs.length, pendingKeyHours };
    },
    /** Stops the timer and writes what is pending (one last try; what fails then is logged, not kept). */
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await flush();
      if (pendingKeyHours > 0 || logs.length > 0) logger.warn({ pending_logs: logs.length, pending_key_hours: pendingKeyHours }, 'usage: stopped with unwritten usage');
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;
