/**
 * Pruning of the webhook log and the outbox. Deletes go in bounded batches so one run never
 * holds a long transaction or a huge lock set.
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/types.ts';

async function deleteInBatches(run: () => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await run();
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/** Attempts started, deliveries created and events raised before `cutoff` (deliveries cascade). */
export async function pruneWebhookHistory(
  db: Executor,
  cutoff: Date,
  batchSize = 5000,
): Promise<{ attempts: number; deliveries: number; events: number }> {
  const attempts = await deleteInBatches(async () => {
    const result = await sql`
      DELETE FROM webhook_delivery_attempts WHERE id IN (
        SELECT id FROM webhook_delivery_attempts WHERE started_at < ${cutoff}::timestamptz LIMIT ${batchSize}::int)`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  }, batchSize);
  const deliveries = await deleteInBatches(async () => {
    const result = await sql`
      DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries WHERE created_at < ${cutoff}::timestamptz LIMIT ${batchSize}::int)`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  }, batchSize);
  const events = await deleteInBatches(async () => {
    const result = await sql`
      DELETE FROM events WHERE id IN (
        SELECT id FROM events WHERE created_at < ${cutoff}::timestamptz LIMIT ${batchSize}::int)`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  }, batchSize);
  return { attempts, deliveries, events };
}
