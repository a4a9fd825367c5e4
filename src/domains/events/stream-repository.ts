/**
 * The event stream's reads of the outbox, in commit order (migration 0011): rows ordered by
 * (tx_id, id) and bounded by the oldest transaction still running, so a reader's cursor never
 * passes an event that commits later. A position is that pair, the transaction id as text.
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/types.ts';
import type { EventForPayload } from './catalog.ts';

export interface StreamPosition {
  tx: string;
  id: string;
}

export interface StreamEvent extends EventForPayload {
  position: StreamPosition;
}

/**
 * Every event of a transaction below this has committed (or never will). It is the oldest
 * transaction still running, except that transactions known to run in another database of the
 * cluster are ignored: they cannot append here, and a long one elsewhere must not stall the
 * stream. A transaction that ended after the snapshot is no longer in pg_stat_activity, so it
 * still counts as running (its rows are not in this snapshot): the error is only ever to wait.
 */
const HORIZON = sql<string>`(
  select coalesce(
    (select min(running) from pg_snapshot_xip(snapshot) as running
      where not exists (select 1 from pg_stat_activity activity where activity.backend_xid = xid(running) and activity.datname <> current_database())),
    pg_snapshot_xmax(snapshot))
  from pg_current_snapshot() as snapshot)`;

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  const ta = BigInt(a.tx);
  const tb = BigInt(b.tx);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Where "from now on" starts: every event below the horizon is past. */
export async function currentStreamPosition(db: Executor): Promise<StreamPosition> {
  const { rows } = await sql<{ horizon: string }>`select ${HORIZON}::text as horizon`.execute(db);
  // (horizon, '') sorts before every event of that transaction and after every older one.
  return { tx: rows[0]!.horizon, id: '' };
}

/** The position of one of an agency's events still in the window, or undefined. */
export async function findStreamPosition(db: Executor, agencyId: string, eventId: string, since: Date): Promise<StreamPosition | undefined> {
  const row = await db
    .selectFrom('events')
    .select(['id', sql<string>`tx_id::text`.as('tx')])
    .where('agency_id', '=', agencyId)
    .where('id', '=', eventId)
    .where('created_at', '>=', since)
    .executeTakeFirst();
  return row ? { tx: row.tx, id: row.id } : undefined;
}

/**
 * Committed events after `after`, oldest first, of every agency or of one (with its types), up
 * to `limit`. A transaction still running in this database holds back every later one until it ends.
 */
export async function readCommittedEvents(
  db: Executor,
  after: StreamPosition,
  limit: number,
  only?: { agencyId: string; types: readonly string[]; since: Date },
): Promise<StreamEvent[]> {
  if (only && only.types.length === 0) return [];
  let query = db
    .selectFrom('events')
    .select(['id', 'type', 'agency_id', 'livemode', 'created_at', 'data', sql<string>`tx_id::text`.as('tx')])
    .where(sql<boolean>`(tx_id, id) > (${after.tx}::xid8, ${after.id})`)
    .where(sql<boolean>`tx_id < ${HORIZON}`);
  if (only) {
    query = query.where('agency_id', '=', only.agencyId).where('type', 'in', only.types).where('created_at', '>=', only.since);
  }
  const rows = await query.orderBy(sql`tx_id`).orderBy('id').limit(limit).execute();
  return rows.map(({ tx, ...row }) => ({ ...row, position: { tx, id: row.id } }));
}
