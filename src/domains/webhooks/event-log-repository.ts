/** Reading the outbox (`events`) for `GET /api/v1/events`: an agency's events within retention. */
import type { Executor, Row } from '../../db/types.ts';
import type { PageRequest } from '../../http/pagination.ts';

export type EventRow = Row<'events'>;

export async function listEvents(
  db: Executor,
  agencyId: string,
  filters: { types: readonly string[]; since: Date },
  page: PageRequest,
): Promise<EventRow[]> {
  // Only the types the caller may read, filtered here so has_more and the cursor stay exact.
  if (filters.types.length === 0) return [];
  let query = db
    .selectFrom('events')
    .selectAll()
    .where('agency_id', '=', agencyId)
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
