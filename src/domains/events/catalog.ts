/**
 * The event catalog: every event type FARO delivers by webhook, with the JSON Schema of the
 * request body (the envelope) and an example. The same schemas drive `GET /webhooks/event-types`
 * and the OpenAPI document's top-level `webhooks` section, so the docs cannot drift from the code.
 */
import { Type, type TSchema } from 'typebox';
import { DateTime } from '../../lib/schema.ts';
import { newId, type IdPrefix } from '../../lib/ids.ts';
import { ConversationSchema } from '../conversations/schemas.ts';
import { MessageSchema } from '../messages/schemas.ts';
import { ReviewSchema } from '../reviews/schemas.ts';
import { LeadSchema } from '../leads/schemas.ts';
import { SyncRunSchema } from '../sync/schemas.ts';
import { ALERT_DATA_SCHEMAS } from '../alerts/schemas.ts';
import { EVENT_TYPES, TEST_EVENT_TYPE, type EventType } from './event-types.ts';
import { EXAMPLE_AGENCY_ID, EXAMPLE_DATA, EXAMPLE_EVENT_IDS, EXAMPLE_TIMESTAMP } from './catalog-examples.ts';

export const WebhookTestDataSchema = Type.Object(
  {
    message: Type.String({ examples: ['This is a test event sent from FARO.'] }),
    subscription_id: Type.String({ description: 'The subscription the test was sent to.' }),
  },
  { title: 'WebhookTestData', description: 'The data of a `webhook.test` ping.' },
);

export interface EventCatalogEntry {
  type: EventType;
  description: string;
  /** JSON Schema of the whole request body. */
  schema: TSchema;
  /** An example request body (also in `schema.examples`). */
  example: EventEnvelope;
}

export interface EventEnvelope {
  id: string;
  type: string;
  timestamp: string;
  agency_id: string;
  livemode: boolean;
  data: Record<string, unknown>;
}

/** The envelope's `livemode`, one description wherever it is declared. */
export const LIVEMODE_DESCRIPTION =
  'true for an event of live data; false for one raised in test mode (by a test key, the portal in test mode, or `POST /api/v1/test/events`). A receiver must never act on a test event as on a live one.';

const DESCRIPTIONS: Record<EventType, string> = {
  'conversation.created': 'A new conversation started in the unified inbox (first message from a contact on any channel). `data` is the conversation.',
  'message.received': 'A contact sent a message into a conversation. `data` is the inbound message.',
  'review.created': 'A new review of a location appeared on Google, Facebook or Yelp. `data` is the review.',
  'lead.converted': 'A lead became a customer (its status changed to `converted`). `data` is the lead.',
  'sync.failed': 'Synchronising a location with a listing provider failed. `data` is the sync run, with the reason in `error`.',
  'faro.endpoint.disabled':
    'Operational: FARO disabled one of your webhook endpoints (it answered 410 Gone, or every delivery failed for 5 days). The disabled endpoint itself does not receive it: subscribe another endpoint. Raised once; resolved when the endpoint is enabled again.',
  'faro.endpoint.failing':
    'Operational: every delivery attempt to one of your webhook endpoints failed for an hour. Raised once per run of failures; resolved by its next success.',
  'faro.api_key.expiring': 'Operational: an API key expires within 7 days. Raised once; resolved when the key is rotated, revoked or expires.',
  'faro.rate_limit.approaching':
    'Operational: an API key used 80 % of its hourly quota. Raised at most once per key per window; resolved when its use falls back under 80 %.',
  'webhook.test': 'A test ping sent on request from the portal or `POST /api/v1/webhooks/{id}/test`. Never sent on its own.',
};

const DATA_SCHEMAS: Record<EventType, TSchema> = {
  'conversation.created': ConversationSchema,
  'message.received': MessageSchema,
  'review.created': ReviewSchema,
  'lead.converted': LeadSchema,
  'sync.failed': SyncRunSchema,
  ...ALERT_DATA_SCHEMAS,
  'webhook.test': WebhookTestDataSchema,
};

/** `review.created` → `ReviewCreatedEvent` (the schema title, also the OpenAPI name). */
function titleOf(type: string): string {
  const words = type.split(/[._]/).map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${words.join('')}Event`;
}

function exampleOf(type: EventType): EventEnvelope {
  return { id: EXAMPLE_EVENT_IDS[type], type, timestamp: EXAMPLE_TIMESTAMP, agency_id: EXAMPLE_AGENCY_ID, livemode: true, data: EXAMPLE_DATA[type] };
}

function envelopeSchema(type: EventType, example: EventEnvelope): TSchema {
  return Type.Object(
    {
      id: Type.String({
        pattern: '^evt_[0-9a-z]{26}$',
        description: 'The event id. Sent as the `webhook-id` header too, identical on every retry: use it to ignore duplicates.',
      }),
      type: Type.Literal(type),
      timestamp: DateTime('When the event happened (not when this attempt was sent).'),
      agency_id: Type.String({ description: 'The agency the event belongs to.' }),
      livemode: Type.Boolean({ description: LIVEMODE_DESCRIPTION }),
      data: DATA_SCHEMAS[type],
    },
    { title: titleOf(type), description: DESCRIPTIONS[type], examples: [example] },
  );
}

export const EVENT_CATALOG: readonly EventCatalogEntry[] = EVENT_TYPES.map((type) => {
  const example = exampleOf(type);
  return { type, description: DESCRIPTIONS[type], schema: envelopeSchema(type, example), example };
});

export function catalogEntry(type: EventType): EventCatalogEntry {
  return EVENT_CATALOG.find((entry) => entry.type === type)!;
}

/** The subset of an `events` row the payload is built from. */
export interface EventForPayload {
  id: string;
  type: string;
  agency_id: string;
  livemode: boolean;
  created_at: Date;
  data: Record<string, unknown>;
}

/**
 * The exact JSON body of a webhook for an outbox event, keys in the documented order
 * (id, type, timestamp, agency_id, livemode, data). Stored on the delivery so every retry is byte-identical.
 */
export function buildEventPayload(event: EventForPayload): string {
  return JSON.stringify(toEnvelope(event));
}

/** The envelope of an outbox event as an object (what `GET /api/v1/events/:id` returns). */
export function toEnvelope(event: EventForPayload): EventEnvelope {
  return { id: event.id, type: event.type, timestamp: event.created_at.toISOString(), agency_id: event.agency_id, livemode: event.livemode, data: event.data };
}

const TIMESTAMP_KEY = /_at$/;

/**
 * A sample body for a test send: the catalog example with a fresh event id, the current time,
 * the caller's agency and mode, a fresh resource (or alert) id, and every non-null `*_at` of the data set to now.
 */
export function buildSamplePayload(type: EventType, context: { agencyId: string; livemode: boolean; subscriptionId: string; at: Date }): { id: string; body: string } {
  const example = catalogEntry(type).example;
  const now = context.at.toISOString();
  let data: Record<string, unknown>;
  if (type === TEST_EVENT_TYPE) {
    data = { message: 'This is a test event sent from FARO.', subscription_id: context.subscriptionId };
  } else {
    data = structuredClone(example.data);
    for (const [key, value] of Object.entries(data)) {
      if (TIMESTAMP_KEY.test(key) && typeof value === 'string') data[key] = now;
    }
    if (typeof data.alert_id === 'string') {
      // An operational event: a fresh alert, about the subscription tested when it is about an endpoint.
      data.alert_id = newId('alert', context.at);
      if ('subscription_id' in data) data.subscription_id = context.subscriptionId;
    } else {
      const prefix = String(data.id).split('_')[0] as IdPrefix;
      data.id = newId(prefix, context.at);
    }
  }
  const id = newId('evt', context.at);
  return { id, body: JSON.stringify({ id, type, timestamp: now, agency_id: context.agencyId, livemode: context.livemode, data }) };
}
