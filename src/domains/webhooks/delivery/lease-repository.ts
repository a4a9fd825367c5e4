/**
 * Keeping leases alive: the one statement that extends a worker's leases without changing any
 * delivery's state (every state change is in queue-repository.ts).
 */
import { sql } from 'kysely';
import type { Executor } from '../../../db/types.ts';

/**
 * Extends the leases a live worker holds (its attempts under way and the deliveries it claimed
 * ahead), so that a lease is short, yet never expires under a running attempt. A row locked at
 * this moment is being released (or taken back) by its own statement: it is skipped, never
 * waited for, so renewal cannot deadlock with the batched release. Returns the ids that are no
 * longer this worker's: taken back because it stalled past its lease.
 */
export async function renewLeases(db: Executor, leases: { id: string; workerId: string; attempts: number }[], until: Date): Promise<Set<string>> {
  if (leases.length === 0) return new Set();
  const result = await sql<{ id: string }>`/* prepared: renew_leases */
    WITH r AS (
      SELECT * FROM unnest(${leases.map((l) => l.id)}::text[], ${leases.map((l) => l.workerId)}::text[], ${leases.map((l) => l.attempts)}::int[])
        AS r (id, worker_id, attempts)
    ),
    held AS (
      SELECT d.id FROM webhook_deliveries d JOIN r ON r.id = d.id
       WHERE d.status = 'delivering' AND d.locked_by = r.worker_id AND d.attempts = r.attempts
      FOR UPDATE OF d SKIP LOCKED
    ),
    renewed AS (
      UPDATE webhook_deliveries d SET locked_until = ${until}::timestamptz FROM held WHERE d.id = held.id RETURNING 1
    )
    SELECT r.id FROM r WHERE NOT EXISTS (
      SELECT 1 FROM webhook_deliveries d
       WHERE d.id = r.id AND d.status = 'delivering' AND d.locked_by = r.worker_id AND d.attempts = r.attempts)`.execute(db);
  return new Set(result.rows.map((row) => row.id));
}
