/**
 * The one read behind the queue gauges: how much webhook work waits, how late the most overdue
 * delivery is, and how old the oldest event the dispatcher has not fanned out yet is. Each part
 * reads a partial index made for the queue (0003, 0005, 0008 and the outbox's in 0001), so the
 * cost grows with the backlog's size only in index entries, never in table rows, and the two
 * "oldest" parts read one index entry each. Measured in docs/operations.md.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/types.ts';

export interface QueueStats {
  /** Pending and claimable now (the ready index the claim walks). */
  pending: number;
  /** Pending, waiting for a retry's time (the promoter's index). */
  scheduled: number;
  /** Leased by a worker, its attempt under way. */
  delivering: number;
  /** The earliest due time among pending deliveries: how late the queue runs. */
  oldestDueAt: Date | null;
  /** When the oldest undispatched event was appended to the outbox. */
  oldestUndispatchedAt: Date | null;
}

export async function readQueueStats(db: Executor): Promise<QueueStats> {
  const result = await sql<QueueStats>`
    SELECT
      (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND NOT scheduled) AS pending,
      (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND scheduled) AS scheduled,
      (SELECT count(*) FROM webhook_deliveries WHERE status = 'delivering') AS delivering,
      (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending') AS "oldestDueAt",
      (SELECT created_at FROM events WHERE dispatched_at IS NULL ORDER BY id LIMIT 1) AS "oldestUndispatchedAt"`.execute(db);
  const row = result.rows[0]!;
  return {
    pending: Number(row.pending),
    scheduled: Number(row.scheduled),
    delivering: Number(row.delivering),
    oldestDueAt: row.oldestDueAt === null ? null : new Date(row.oldestDueAt),
    oldestUndispatchedAt: row.oldestUndispatchedAt === null ? null : new Date(row.oldestUndispatchedAt),
  };
}
