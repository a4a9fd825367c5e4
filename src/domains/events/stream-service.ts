/**
 * What an event stream request asks for, checked before the stream starts (so a refusal is still
 * a problem response): the types, fenced by the key's scopes, and where to resume.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { ApiError } from '../../kit/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { isId } from '../../lib/ids.ts';
import { SUBSCRIBABLE_EVENT_TYPES, isSubscribableEventType } from './event-types.ts';
import { assertMayReadEvents, readableEventTypes, type ScopedCaller } from './scope-fence.ts';
import { findStreamPosition, readCommittedEvents, type StreamEvent, type StreamPosition } from './stream-repository.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface StreamPlan {
  agencyId: string;
  types: ReadonlySet<string>;
  resumeAfter: StreamPosition | undefined;
  readAfter(after: StreamPosition, limit: number): Promise<StreamEvent[]>;
}

function parseTypes(raw: string): string[] {
  const types = raw.split(',').map((type) => type.trim());
  const unknown = types.filter((type) => !isSubscribableEventType(type));
  if (unknown.length > 0) {
    throw new ApiError('validation_failed', 'One or more fields are not valid; see errors.', {
      errors: unknown.map((type) => ({
        path: 'query.types',
        message: `${type === '' ? 'an empty name' : `"${type}"`} is not an event type; use a comma-separated list of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}`,
      })),
    });
  }
  return [...new Set(types)];
}

export function createEventStreamService(deps: { db: Kysely<DB>; clock: Clock; retentionDays: number }) {
  const { db, clock } = deps;
  const retentionStart = () => new Date(clock.now().getTime() - deps.retentionDays * DAY_MS);

  return {
    /**
     * 400 for an unknown type or a Last-Event-ID that is not one of the agency's events of the
     * retention window; 403 for a named type whose resource scope the key lacks. Without
     * `types`, every type the key may read.
     */
    async plan(caller: ScopedCaller, request: { types?: string | undefined; lastEventId?: string | undefined }): Promise<StreamPlan> {
      let types: string[];
      if (request.types === undefined) {
        types = readableEventTypes(caller).filter(isSubscribableEventType);
      } else {
        types = parseTypes(request.types);
        assertMayReadEvents(caller, types);
      }
      let resumeAfter: StreamPosition | undefined;
      if (request.lastEventId !== undefined) {
        const id = request.lastEventId.trim();
        resumeAfter = isId('evt', id) ? await findStreamPosition(db, caller.agencyId, id, retentionStart()) : undefined;
        if (!resumeAfter) {
          throw new ApiError('validation_failed', `The Last-Event-ID is not an event of this agency from the last ${deps.retentionDays} days; reconnect without it to start from now, and catch up with GET /api/v1/events.`, {
            errors: [{ path: 'header.last-event-id', message: 'is not a known event id' }],
          });
        }
      }
      return {
        agencyId: caller.agencyId,
        types: new Set(types),
        resumeAfter,
        readAfter: (after, limit) => readCommittedEvents(db, after, limit, { agencyId: caller.agencyId, types, since: retentionStart() }),
      };
    },
  };
}

export type EventStreamService = ReturnType<typeof createEventStreamService>;
