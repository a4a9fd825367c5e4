import { EXAMPLE_DATA, EXAMPLE_RESOURCES as resources, EXAMPLE_ROTATED_WEBHOOK_SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_WEBHOOK_SECRET } from '../domains/events/catalog-examples.ts';
import { catalogEntry } from '../domains/events/catalog.ts';
import { ERROR_RESPONSES } from './openapi-components.ts';
import { USAGE_SCHEMA_EXAMPLES } from '../domains/usage/examples.ts';

/*
 * The example of every named schema of the published document, by title. Each is taken from the
 * example catalogue (src/domains/events/catalog-examples.ts), the one the webhook payloads come
 * from: a resource as it is, a part of one, or a request body made of the fields of the resource
 * it creates or changes. Lists are derived from their item's example (openapi-document.ts), and
 * the webhook event schemas carry the event catalog's own.
 */

function pick<T extends object, K extends keyof T>(resource: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, resource[key]])) as Pick<T, K>;
}

const { attempts: _attemptCount, ...deliveryFields } = resources.webhook_delivery;
const attempt = resources.webhook_delivery_attempt;
const ping = catalogEntry('webhook.test');
const SECRET_GRACE_MS = 24 * 3600 * 1000;

export const SCHEMA_EXAMPLES: Record<string, unknown> = {
  Location: resources.location,
  Conversation: resources.conversation,
  Message: resources.message,
  Review: resources.review,
  Lead: resources.lead,
  SyncRun: resources.sync_run,
  WebhookTestData: EXAMPLE_DATA['webhook.test'],
  EndpointDisabledAlert: EXAMPLE_DATA['faro.endpoint.disabled'],
  EndpointFailingAlert: EXAMPLE_DATA['faro.endpoint.failing'],
  ApiKeyExpiringAlert: EXAMPLE_DATA['faro.api_key.expiring'],
  RateLimitApproachingAlert: EXAMPLE_DATA['faro.rate_limit.approaching'],
  Event: catalogEntry('review.created').example,
  WebhookEventType: { type: ping.type, description: ping.description, schema: ping.schema },
  AuditEvent: resources.audit_event,
  AuditActor: resources.audit_event.actor,
  AuditTarget: resources.audit_event.target,
  WebhookSubscription: resources.webhook_subscription,
  WebhookSubscriptionHealth: resources.webhook_subscription.health,
  WebhookSubscriptionWithSecret: { ...resources.webhook_subscription, secret: EXAMPLE_WEBHOOK_SECRET },
  WebhookSecret: { secret: EXAMPLE_WEBHOOK_SECRET },
  RotatedWebhookSecret: {
    secret: EXAMPLE_ROTATED_WEBHOOK_SECRET,
    previous_secret_expires_at: new Date(Date.parse(EXAMPLE_TIMESTAMP) + SECRET_GRACE_MS).toISOString(),
  },
  WebhookDelivery: resources.webhook_delivery,
  WebhookDeliveryAttempt: attempt,
  WebhookDeliveryDetail: { ...deliveryFields, payload: catalogEntry(deliveryFields.event_type).example, attempts: [attempt] },
  WebhookTestOutcome: {
    delivery_id: 'whdel_01jd5v0b2cd4f6h8k0m2p4r6t8',
    success: true,
    status_code: attempt.response_status,
    duration_ms: attempt.duration_ms,
    response_body_excerpt: attempt.response_body_excerpt,
    error_kind: null,
    error_message: null,
  },
  WebhookRecoverResult: { requeued: resources.webhook_subscription.health.failed_24h },
  Problem: ERROR_RESPONSES.BadRequest.content['application/problem+json'].examples.validation_failed!.value,
  // Request bodies: the fields of the resource they create or change.
  CreateLead: pick(resources.lead, ['location_id', 'name', 'email', 'phone', 'source', 'notes']),
  UpdateLead: pick(resources.lead, ['status', 'value']),
  CreateWebhookSubscription: pick(resources.webhook_subscription, ['url', 'events', 'description']),
  UpdateWebhookSubscription: pick(resources.webhook_subscription, ['events', 'enabled']),
  WebhookRecoverRequest: { since: resources.webhook_delivery.created_at },
  WebhookTestRequest: pick(resources.webhook_delivery, ['event_type']),
  TestEventRequest: { type: 'review.created' },
  TestEvent: { event_id: catalogEntry('review.created').example.id, type: 'review.created', resource: resources.review },
  ...USAGE_SCHEMA_EXAMPLES,
};
