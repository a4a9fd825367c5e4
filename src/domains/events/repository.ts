/**
 * The outbox (`events`), its one owner: domain services append to it in the transaction of their
 * change, the dispatcher claims and marks what it fanned out, the events API reads it, and
 * retention prunes it. Times are parameters from the injected clock, never SQL now().
 */
import { sql } from 'kysely';
import type { Executor, Row } from '../../db/types.ts';
import { notify } from '../../db/database.ts';
import { deleteBatchBefore } from '../../db/retention.ts';
import { idFloor, newId } from '../../lib/ids.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import type { SubscribableEventType } from './event-types.ts';

export type EventRow = Row<'events'>;

/** The NOTIFY channel that wakes the dispatcher when an event commits. */
export const EVENTS_CHANNEL = 'faro_events';

/**
 * Append an event to the outbox. Call it with the transaction that makes the change, so the
 * event exists if and only if the change does; the NOTIFY is delivered only at commit.
 */
export async function appendEvent(
  trx: Executor,
  event: { agencyId: string; type: SubscribableEventType; data: object; at: Date },
): Promise<EventRow> {
  const row = await trx
    .insertInto('events')
    .values({
      id: newId('evt', event.at),
      agency_id: event.agencyId,
      type: event.type,
      data: JSON.stringify(event.data),
      // The mode is the agency's (a sandbox points at its live agency), read in the same statement.
      livemode: sql<boolean>`(SELECT live_agency_id IS NULL FROM agencies WHERE id = ${event.agencyId})`,
      created_at: event.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await notify(trx, EVENTS_CHANNEL, row.id);
  return row;
}

/** Claims the oldest undispatched events; concurrent dispatchers skip each other's rows. */
export async function claimUndispatchedEvents(trx: Executor, limit: number): Promise<EventRow[]> {
  return trx
    .selectFrom('events')
    .selectAll()
    .where('dispatched_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function markEventsDispatched(trx: Executor, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await trx.updateTable('events').set({ dispatched_at: at }).where('id', 'in', ids).execute();
}

/** Mark every event of an agency as fanned out (used for seeded history that predates subscriptions). */
export async function markAgencyEventsDispatched(db: Executor, agencyId: string, at: Date): Promise<void> {
  await db.updateTable('events').set({ dispatched_at: at }).where('agency_id', '=', agencyId).where('dispatched_at', 'is', null).execute();
}

/** An agency's events of the given types since `since`, newest first (`GET /api/v1/events`). */
export async function listEvents(
  db: Executor,
  agencyId: string,
  filters: { types: readonly string[]; since: Date },
  page: PageRequest,
): Promise<EventRow[]> {
  // Only the types the caller may read, filtered here so has_more and the cursor stay exact.
  if (filters.types.length === 0) return [];
  // Ids are time-ordered: the id bound is what the list's indexes serve (migrations/0009); created_at keeps it exact.
  let query = db
    .selectFrom('events')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('id', '>=', idFloor('evt', filters.since))
    .where('created_at', '>=', filters.since)
    .where('type', 'in', filters.types);
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

export async function findEvent(db: Executor, agencyId: string, id: string, since: Date): Promise<EventRow | undefined> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .where('created_at', '>=', since)
    .executeTakeFirst();
}

/** Deletes up to `batchSize` events raised before `cutoff` (retention; by id, which is time-ordered); returns how many. */
export async function pruneEvents(db: Executor, cutoff: Date, batchSize: number): Promise<number> {
  return deleteBatchBefore(db, 'events', 'id', idFloor('evt', cutoff), batchSize);
}
