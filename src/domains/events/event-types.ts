/**
 * The closed set of event types, apart from the catalog (schemas, examples) so the examples and
 * the catalog can both import it. Adding a type here is a compile error until the catalog, the
 * read scopes and the simulation handle it.
 */
import type { Scope } from '../api/auth-context.ts';

/** What the product raises about the agency's resources; each can be simulated in the sandbox. */
export const DOMAIN_EVENT_TYPES = ['conversation.created', 'message.received', 'review.created', 'lead.converted', 'sync.failed'] as const;
export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

/** Health alerts FARO raises about the agency's integration itself (src/domains/alerts). */
export const OPERATIONAL_EVENT_TYPES = ['faro.endpoint.disabled', 'faro.endpoint.failing', 'faro.api_key.expiring', 'faro.rate_limit.approaching'] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export const EVENT_TYPES = [...DOMAIN_EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES, 'webhook.test'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The ping sent by `POST /webhooks/:id/test`; never raised by the product, so not subscribable. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What a subscription's `events` may list (or `["*"]` for all of them, present and future). */
export const SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES.filter((type) => type !== TEST_EVENT_TYPE) as Exclude<EventType, 'webhook.test'>[];
export type SubscribableEventType = Exclude<EventType, 'webhook.test'>;

/**
 * The read scope of the resource each event type carries in `data`. Scopes fence data: a key
 * without it neither lists, reads, subscribes to nor test-sends that type, nor reads its deliveries.
 * A sync run is about a location (the only resource it names), so `sync.failed` needs
 * `locations:read`. The test ping carries no resource: `null`, anyone may see it.
 */
export const EVENT_READ_SCOPES: Readonly<Record<EventType, Scope | null>> = {
  'conversation.created': 'conversations:read',
  'message.received': 'messages:read',
  'review.created': 'reviews:read',
  'lead.converted': 'leads:read',
  'sync.failed': 'locations:read',
  // About the agency's subscriptions (webhooks:read shows them), keys (audit:read shows their
  // history) and a key's use of its quota (usage:read shows its usage).
  'faro.endpoint.disabled': 'webhooks:read',
  'faro.endpoint.failing': 'webhooks:read',
  'faro.api_key.expiring': 'audit:read',
  'faro.rate_limit.approaching': 'usage:read',
  'webhook.test': null,
};

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export function isSubscribableEventType(value: string): value is SubscribableEventType {
  return value !== TEST_EVENT_TYPE && isEventType(value);
}
