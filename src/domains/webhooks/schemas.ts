/**
 * Shapes of the webhook management API (docs/internal/http-contract.md, "Webhooks").
 * Glossary: a *subscription* is an agency's URL and the event types it wants; a *delivery* is
 * one event bound for one subscription (the queue row); an *attempt* is one HTTP POST of it.
 */
import { Type, type Static } from 'typebox';
import { DateTime, Nullable } from '../../lib/schema.ts';
import { MAX_WEBHOOK_URL_LENGTH } from './delivery/ssrf.ts';
import { EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from '../events/event-types.ts';
import { EXAMPLE_WEBHOOK_SECRET } from '../events/catalog-examples.ts';

export const MAX_SUBSCRIPTIONS_PER_AGENCY = 20;
export const DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'failed', 'cancelled'] as const;
export const ERROR_KINDS = ['timeout', 'connection', 'dns', 'tls', 'ssrf_blocked', 'http_status', 'worker_lost'] as const;

const exampleSubscriptionId = 'whsub_01jd5m0d9d6v3fw8p3n4q7r2s1';

const Url = Type.String({
  minLength: 1,
  maxLength: MAX_WEBHOOK_URL_LENGTH,
  description: 'Where FARO POSTs the events: an https URL that reaches the public internet (no private, loopback or metadata addresses).',
  examples: ['https://hooks.example.com/faro'],
});

/** Every type of a subscription's events, present and future: only ever alone (`["*"]`, the service checks). */
export const ALL_EVENTS = '*';
/** What `events` may list: the subscribable types, or `*`. */
export const SubscribedEventSchema = Type.Enum([...SUBSCRIBABLE_EVENT_TYPES, ALL_EVENTS]);

const Events = Type.Array(SubscribedEventSchema, {
  minItems: 1,
  maxItems: SUBSCRIBABLE_EVENT_TYPES.length,
  uniqueItems: true,
  description:
    `The event types to deliver: any of ${SUBSCRIBABLE_EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}; or exactly \`["*"]\` for every type, including types added later. ` +
    'Each type needs the read scope of its resource too (`*` needs all of them); otherwise 403 `insufficient_scope`.',
  examples: [['review.created', 'lead.converted'], ['*']],
});

const Description = Type.String({ maxLength: 500, description: 'A note for people (e.g. which system receives it).', examples: ['CRM sync'] });
const Enabled = Type.Boolean({
  description: 'Disabled subscriptions get no deliveries: disabling cancels the deliveries waiting in the queue at once (`recover` requeues them once enabled again). Enabling clears `disabled_reason`.',
});

export const CreateSubscriptionBody = Type.Object(
  { url: Url, events: Events, description: Type.Optional(Description), enabled: Type.Optional(Enabled) },
  { additionalProperties: false, title: 'CreateWebhookSubscription' },
);
export type CreateSubscriptionInput = Static<typeof CreateSubscriptionBody>;

export const UpdateSubscriptionBody = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events), description: Type.Optional(Description), enabled: Type.Optional(Enabled) },
  { additionalProperties: false, minProperties: 1, title: 'UpdateWebhookSubscription' },
);
export type UpdateSubscriptionInput = Static<typeof UpdateSubscriptionBody>;

export const SubscriptionHealthSchema = Type.Object(
  {
    deliveries_24h: Type.Integer({ minimum: 0, description: 'Deliveries of real events created in the last 24 hours (test sends excluded).' }),
    succeeded_24h: Type.Integer({ minimum: 0 }),
    failed_24h: Type.Integer({ minimum: 0, description: 'Of those, deliveries that ran out of retries.' }),
    retrying_24h: Type.Integer({ minimum: 0, description: 'Of those, deliveries waiting for another attempt after a failed one.' }),
    success_rate_24h: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'succeeded / (succeeded + failed + retrying), 0–1: a delivery retrying after a failure is not a success. null when no delivery has been attempted.' })),
    last_delivery_status: Nullable(Type.Enum(DELIVERY_STATUSES)),
    last_delivery_at: Nullable(DateTime('When the latest delivery of a real event was created.')),
    last_test_status: Nullable(Type.Enum(DELIVERY_STATUSES, { description: 'The latest test send of the last 24 hours (never counted above); null when none.' })),
    last_test_at: Nullable(DateTime('When that test send was made.')),
  },
  { title: 'WebhookSubscriptionHealth' },
);
export type SubscriptionHealth = Static<typeof SubscriptionHealthSchema>;

const subscriptionProperties = {
  id: Type.String({ examples: [exampleSubscriptionId] }),
  url: Type.String({ examples: ['https://hooks.example.com/faro'] }),
  events: Type.Array(SubscribedEventSchema, { examples: [['review.created', 'lead.converted']] }),
  description: Type.String(),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(Type.String({ description: 'Why FARO disabled the subscription (e.g. failing for 5 days, or 410 Gone); null otherwise.' })),
  created_at: DateTime(),
  updated_at: DateTime(),
  health: SubscriptionHealthSchema,
};

export const SubscriptionSchema = Type.Object(subscriptionProperties, {
  title: 'WebhookSubscription',
  description: 'A URL that receives signed POSTs for the chosen event types. The signing secret is never listed; see `GET /webhooks/{id}/secret`.',
});
export type Subscription = Static<typeof SubscriptionSchema>;

const SecretValue = Type.String({ description: '`whsec_` + base64 of 32 random bytes. Verify signatures with it (Standard Webhooks).', examples: [EXAMPLE_WEBHOOK_SECRET] });

export const CreatedSubscriptionSchema = Type.Object(
  { ...subscriptionProperties, secret: SecretValue },
  { title: 'WebhookSubscriptionWithSecret', description: 'The new subscription and its signing secret.' },
);
export type CreatedSubscription = Static<typeof CreatedSubscriptionSchema>;

export const SecretSchema = Type.Object({ secret: SecretValue }, { title: 'WebhookSecret' });

export const RotatedSecretSchema = Type.Object(
  {
    secret: SecretValue,
    previous_secret_expires_at: Nullable(DateTime('Until then, each request also carries a signature made with the previous secret.')),
  },
  { title: 'RotatedWebhookSecret' },
);

export const TestSendBody = Type.Object(
  {
    event_type: Type.Optional(
      Type.Enum(EVENT_TYPES, { description: 'Which event to send a sample of; `webhook.test` (a ping) when left out.', examples: ['review.created'] }),
    ),
  },
  { additionalProperties: false, title: 'WebhookTestRequest' },
);

export const TestOutcomeSchema = Type.Object(
  {
    delivery_id: Type.String({ examples: ['whdel_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    success: Type.Boolean({ description: 'True when the endpoint answered 2xx.' }),
    status_code: Nullable(Type.Integer()),
    duration_ms: Type.Integer({ minimum: 0 }),
    response_body_excerpt: Nullable(Type.String({ description: 'The first 4 KiB of the response body.' })),
    error_kind: Nullable(Type.Enum(ERROR_KINDS)),
    error_message: Nullable(Type.String()),
  },
  { title: 'WebhookTestOutcome' },
);
export type TestOutcome = Static<typeof TestOutcomeSchema>;

const deliveryProperties = {
  id: Type.String({ examples: ['whdel_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
  subscription_id: Type.String({ examples: [exampleSubscriptionId] }),
  event_id: Type.String({ description: 'The event id (the `webhook-id` header); for a test send, the id of the sample event.' }),
  event_type: Type.Enum(EVENT_TYPES, { examples: ['review.created'] }),
  status: Type.Enum(DELIVERY_STATUSES),
  next_attempt_at: Nullable(DateTime('When the next attempt is due; null when none is scheduled.')),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  delivered_at: Nullable(DateTime()),
  is_test: Type.Boolean({ description: 'Sent by a test request; never retried.' }),
  created_at: DateTime(),
};

export const DeliverySchema = Type.Object(
  { ...deliveryProperties, attempts: Type.Integer({ minimum: 0, description: 'Attempts made so far.' }) },
  { title: 'WebhookDelivery', description: 'One event bound for one subscription, with its state in the retry schedule.' },
);
export type Delivery = Static<typeof DeliverySchema>;

const StringMap = Type.Record(Type.String(), Type.String());

export const AttemptSchema = Type.Object(
  {
    id: Type.String(),
    attempt_number: Type.Integer({ minimum: 1 }),
    started_at: DateTime(),
    duration_ms: Type.Integer({ minimum: 0 }),
    request_headers: StringMap,
    response_status: Nullable(Type.Integer()),
    response_headers: Nullable(StringMap),
    response_body_excerpt: Nullable(Type.String()),
    error_kind: Nullable(Type.Enum(ERROR_KINDS)),
    error_message: Nullable(Type.String()),
  },
  { title: 'WebhookDeliveryAttempt', description: 'One HTTP POST of a delivery: the headers sent (signatures are MACs, not secrets) and what came back.' },
);
export type Attempt = Static<typeof AttemptSchema>;

export const DeliveryDetailSchema = Type.Object(
  {
    ...deliveryProperties,
    payload: Type.Unknown({ description: 'The JSON body sent on every attempt.' }),
    attempts: Type.Array(AttemptSchema, { description: 'Every attempt, oldest first.' }),
  },
  { title: 'WebhookDeliveryDetail' },
);
export type DeliveryDetail = Static<typeof DeliveryDetailSchema>;

export const RecoverBody = Type.Object(
  { since: DateTime('Requeue the failed deliveries created at or after this instant; at most 30 days ago, not in the future.') },
  { additionalProperties: false, title: 'WebhookRecoverRequest' },
);

export const RecoverResultSchema = Type.Object(
  { requeued: Type.Integer({ minimum: 0, description: 'How many failed deliveries were put back in the queue.' }) },
  { title: 'WebhookRecoverResult' },
);

export const DeliveryListFilters = {
  status: Type.Optional(Type.Enum(DELIVERY_STATUSES, { description: 'Only deliveries in this state.' })),
  event_type: Type.Optional(
    Type.Enum(EVENT_TYPES, { description: 'Only deliveries of this event type. A type whose resource read scope the key lacks is a 403 `insufficient_scope`.' }),
  ),
};
export interface DeliveryFilters {
  status?: (typeof DELIVERY_STATUSES)[number] | undefined;
  event_type?: (typeof EVENT_TYPES)[number] | undefined;
}
