/**
 * Retention: events, webhook deliveries and their attempts older than `retentionDays` are
 * deleted, and so are health alerts resolved that long ago (open ones stay), expired portal
 * sessions and Idempotency-Key records, API usage older than `usage.usageRetentionDays` and
 * request log rows older than `usage.requestLogRetentionDays`. Runs at start, then hourly.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { DB } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import { deleteExpiredSessions } from '../domains/agencies/repository.ts';
import { pruneEvents } from '../domains/events/repository.ts';
import { pruneAttempts, pruneDeliveries } from '../domains/webhooks/delivery-log-repository.ts';
import { deleteExpiredKeys } from '../domains/idempotency/repository.ts';
import { pruneRequestLogs, pruneUsage } from '../domains/usage/repository.ts';
import { pruneResolvedAlerts } from '../domains/alerts/repository.ts';
import { periodic } from './periodic.ts';

const HOUR_MS = 3600_000;
const BATCH_SIZE = 5000;
const DAY_MS = 24 * HOUR_MS;
const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

export interface RetentionDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, 'retentionDays' | 'usage'>;
  logger: FastifyBaseLogger;
  intervalMs?: number;
}

/** Deletes in bounded batches, so one run never holds a long transaction or a huge lock set. */
async function deleteInBatches(deleteBatch: (batchSize: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(BATCH_SIZE);
    total += deleted;
    if (deleted < BATCH_SIZE) return total;
  }
}

export function createRetentionJob(deps: RetentionDeps) {
  const { db, clock, config, logger } = deps;
  async function runOnce() {
    const now = clock.now();
    const cutoff = new Date(now.getTime() - config.retentionDays * DAY_MS);
    // Attempts, then deliveries (attempts would cascade), then the events they came from.
    const pruned = {
      attempts: await deleteInBatches((size) => pruneAttempts(db, cutoff, size)),
      deliveries: await deleteInBatches((size) => pruneDeliveries(db, cutoff, size)),
      events: await deleteInBatches((size) => pruneEvents(db, cutoff, size)),
      api_usage_hours: await deleteInBatches((size) => pruneUsage(db, daysBefore(now, config.usage.usageRetentionDays), size)),
      api_request_logs: await deleteInBatches((size) => pruneRequestLogs(db, daysBefore(now, config.usage.requestLogRetentionDays), size)),
      resolved_alerts: await deleteInBatches((size) => pruneResolvedAlerts(db, cutoff, size)),
    };
    const sessions = await deleteExpiredSessions(db, now);
    const idempotencyKeys = await deleteExpiredKeys(db, now);
    const result = { ...pruned, sessions, idempotency_keys: idempotencyKeys };
    if (Object.values(result).some((count) => count > 0)) logger.info({ pruned: result, cutoff }, 'retention: pruned old rows');
    return result;
  }

  return periodic(runOnce, { intervalMs: deps.intervalMs ?? HOUR_MS, logger, failure: 'retention pass failed' });
}
