import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { IdParams, ListQuery, NoQuery, SinceFilter, requireId } from '../../http/public-schemas.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from './event-types.ts';
import { EventSchema, SCOPE_FENCE_NOTE } from './schemas.ts';

const TAGS = ['Events'];

const EventListQuery = ListQuery({
  type: Type.Optional(
    Type.Enum(SUBSCRIBABLE_EVENT_TYPES, { description: 'Only events of this type. A type whose resource read scope the key lacks is a 403 `insufficient_scope`.' }),
  ),
  created_since: Type.Optional(SinceFilter('Only events at or after this instant (RFC 3339). Events are kept 30 days; an earlier value starts 30 days ago.')),
});

/** Public API (mounted under /api/v1): the last 30 days of events, to catch up on missed webhooks. */
export async function eventRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/events', {
    config: { scope: 'events:read' },
    schema: {
      operationId: 'listEvents',
      summary: 'List events',
      description:
        'The agency\'s events of the last 30 days, newest first, each exactly as its webhook body. Use it to catch up after missing webhooks; the `id` is the `webhook-id` of its deliveries. ' +
        `${SCOPE_FENCE_NOTE} The list leaves out the events whose resource scope the key lacks (pages and cursors count only the events it may read).`,
      tags: TAGS,
      querystring: EventListQuery,
      response: { 200: PageSchema(EventSchema, 'Event'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filters } = request.query;
      return services.events.list(request.auth, filters, pageRequest({ limit, cursor }, 'evt'));
    },
  });

  app.get('/events/:id', {
    config: { scope: 'events:read' },
    schema: {
      operationId: 'getEvent',
      summary: 'Get an event',
      description: `One event of the last 30 days, exactly as its webhook body. ${SCOPE_FENCE_NOTE} An event whose resource scope the key lacks answers 403 \`insufficient_scope\`, naming it in \`required_scope\`.`,
      tags: TAGS,
      params: IdParams('evt', 'event'),
      querystring: NoQuery,
      response: { 200: EventSchema, ...ProblemResponses },
    },
    handler: async (request) => services.events.get(request.auth, requireId('evt', request.params.id, 'event')),
  });
}
