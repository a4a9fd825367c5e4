import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { notFound } from '../../kit/errors.ts';
import { DEFAULT_PAGE_SIZE, decodeKeyCursor, encodeCursor, toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import type { Clock } from '../../lib/clock.ts';
import { EVENT_CATALOG, toEnvelope } from './catalog.ts';
import { findEvent, listEvents, type EventRow } from './repository.ts';
import { assertMayReadEvents, readableEventTypes, type ScopedCaller } from './scope-fence.ts';
import type { EventFilters, EventResource, EventTypeList } from './schemas.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

function toEvent(row: EventRow): EventResource {
  return toEnvelope(row) as EventResource;
}

/** The event catalog and the agency's recent events (to catch up on missed webhooks). */
export function createEventsService(deps: { db: Kysely<DB>; clock: Clock; retentionDays: number }) {
  const { db, clock } = deps;
  // Older events may not be pruned yet, but the API promises a fixed window, not a lucky one.
  const retentionStart = () => new Date(clock.now().getTime() - deps.retentionDays * DAY_MS);

  return {
    /** The catalog in its fixed order, paged like every list (it fits one default page). */
    eventTypes(query: { limit?: number | undefined; cursor?: string | undefined }): EventTypeList {
      const types = EVENT_CATALOG.map((entry) => entry.type as string);
      const after = decodeKeyCursor(query.cursor, (type) => types.includes(type));
      const start = after === undefined ? 0 : types.indexOf(after) + 1;
      const limit = query.limit ?? DEFAULT_PAGE_SIZE;
      const page = EVENT_CATALOG.slice(start, start + limit);
      const hasMore = start + limit < EVENT_CATALOG.length;
      return {
        data: page.map((entry) => ({ type: entry.type, description: entry.description, schema: entry.schema as Record<string, unknown> })),
        has_more: hasMore,
        next_cursor: hasMore ? encodeCursor(page.at(-1)!.type) : null,
      };
    },

    /**
     * Newest first; `created_since` earlier than the retention window starts at the window. Only
     * events the caller may read; asking for a type it may not (`type=`) is a 403.
     */
    async list(caller: ScopedCaller, filters: EventFilters, page: PageRequest): Promise<Page<EventResource>> {
      if (filters.type) assertMayReadEvents(caller, [filters.type]);
      const start = retentionStart();
      const requested = filters.created_since ? new Date(filters.created_since) : undefined;
      const since = requested && requested > start ? requested : start;
      const types = filters.type ? [filters.type] : readableEventTypes(caller);
      return toPage(await listEvents(db, caller.agencyId, { types, since }, page), page.limit, toEvent);
    },

    async get(caller: ScopedCaller, id: string): Promise<EventResource> {
      const row = await findEvent(db, caller.agencyId, id, retentionStart());
      if (!row) throw notFound('event');
      assertMayReadEvents(caller, [row.type]);
      return toEvent(row);
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
