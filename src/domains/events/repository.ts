import type { Executor, Row } from '../../db/types.ts';
import { notify } from '../../db/database.ts';
import { newId } from '../../lib/ids.ts';

export type EventRow = Row<'events'>;

/** The NOTIFY channel that wakes the dispatcher when an event commits. */
export const EVENTS_CHANNEL = 'faro_events';

/**
 * Append an event to the outbox. Call it with the transaction that makes the change, so the
 * event exists if and only if the change does; the NOTIFY is delivered only at commit.
 */
export async function appendEvent(
  trx: Executor,
  event: { agencyId: string; type: string; data: object; at: Date },
): Promise<EventRow> {
  const row = await trx
    .insertInto('events')
    .values({
      id: newId('evt', event.at),
      agency_id: event.agencyId,
      type: event.type,
      data: JSON.stringify(event.data),
      created_at: event.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await notify(trx, EVENTS_CHANNEL, row.id);
  return row;
}

/** Mark every event of an agency as fanned out (used for seeded history that predates subscriptions). */
export async function markAgencyEventsDispatched(db: Executor, agencyId: string, at: Date): Promise<void> {
  await db.updateTable('events').set({ dispatched_at: at }).where('agency_id', '=', agencyId).where('dispatched_at', 'is', null).execute();
}
