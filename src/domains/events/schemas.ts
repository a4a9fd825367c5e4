/** Shapes of the events API (`GET /api/v1/events`) and of the event catalog's listing. */
import { Type, type Static } from 'typebox';
import { DateTime } from '../../lib/schema.ts';
import { PageSchema } from '../../kit/pagination.ts';
import { LIVEMODE_DESCRIPTION } from './catalog.ts';
import { EVENT_READ_SCOPES, EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from './event-types.ts';

/** For route descriptions: which read scope each event type needs, from the one map in catalog.ts. */
export const SCOPE_FENCE_NOTE =
  'Scopes fence data: an event, and a delivery of it, is readable only with the read scope of the resource it carries (' +
  SUBSCRIBABLE_EVENT_TYPES.map((type) => `\`${type}\` needs \`${EVENT_READ_SCOPES[type]}\``).join(', ') +
  '; `webhook.test` needs none).';

export const EventTypeSchema = Type.Object(
  {
    type: Type.Enum(EVENT_TYPES),
    description: Type.String(),
    schema: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema (2020-12) of the request body, with an example.' }),
  },
  { title: 'WebhookEventType' },
);
export const EventTypeListSchema = PageSchema(EventTypeSchema, 'WebhookEventType');
export type EventTypeList = Static<typeof EventTypeListSchema>;

export const EventSchema = Type.Object(
  {
    id: Type.String({ examples: ['evt_01jd5q7h3kd5f7h9k1m3n5q7s9'] }),
    type: Type.Enum(SUBSCRIBABLE_EVENT_TYPES),
    timestamp: DateTime('When the event happened.'),
    agency_id: Type.String(),
    livemode: Type.Boolean({ description: LIVEMODE_DESCRIPTION }),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'The resource, as in the webhook of this type (see the `webhooks` section).' }),
  },
  { title: 'Event', description: 'An event exactly as its webhook body carries it.' },
);
export type EventResource = Static<typeof EventSchema>;

export interface EventFilters {
  type?: string | undefined;
  created_since?: string | undefined;
}
