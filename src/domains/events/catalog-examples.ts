/**
 * The example catalogue: one example of every resource the API answers with, each exactly what
 * GET returns for it. The event catalog's payloads carry these as `data`, and the OpenAPI
 * document derives every example it shows from them (lists, request bodies, secrets, deliveries:
 * src/http/openapi-examples.ts), so one resource is described by one example everywhere.
 */
import type { EventType } from './event-types.ts';

export const EXAMPLE_AGENCY_ID = 'agy_01jd5kz8q4n2c7v9w3x5y6z8a0';
export const EXAMPLE_TIMESTAMP = '2026-03-14T15:09:26.535Z';
export const EXAMPLE_REQUEST_ID = 'req_5f0c2b7d9e1a4c3b8d6e0f12';

const LOCATION_ID = 'loc_01jd5m0d9d6v3fw8p3n4q7r2s1';
const CONVERSATION_ID = 'conv_01jd5p2f7h8k9m0n1p2q3r4s5t';
const SUBSCRIPTION_ID = 'whsub_01jd5t6qzrf7h9k1n3q5s7v9x1';

export const EXAMPLE_EVENT_IDS: Record<EventType, string> = {
  'conversation.created': 'evt_01jd5p2f7jbq3x9k4m6n8p0r2t',
  'message.received': 'evt_01jd5p2fa1c4e6g8j0k2m4n6p8',
  'review.created': 'evt_01jd5q7h3kd5f7h9k1m3n5q7s9',
  'lead.converted': 'evt_01jd5r9m2ne6g8j0m2p4r6t8v0',
  'sync.failed': 'evt_01jd5s4p8qf7h9k1n3q5s7v9x1',
  'faro.endpoint.disabled': 'evt_01jd5t7a1bc2d3e4f5g6h7j8k9',
  'faro.endpoint.failing': 'evt_01jd5t7a2cd3e4f5g6h7j8k9m0',
  'faro.api_key.expiring': 'evt_01jd5t7a3de4f5g6h7j8k9m0n1',
  'faro.rate_limit.approaching': 'evt_01jd5t7a4ef5g6h7j8k9m0n1p2',
  'webhook.test': 'evt_01jd5t6r0sg8j0m2p4s6v8x0z2',
};

/** A signing secret as FARO generates them (`whsec_` + base64 of 32 random bytes), and the one a rotation replaces it with. */
export const EXAMPLE_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/Cy0oX3vcYM=';
export const EXAMPLE_ROTATED_WEBHOOK_SECRET = 'whsec_4wZQD9FC5JljDZWP4tjSJfnV2qcftBjJkznI6tWqmUk=';

const location = {
  id: LOCATION_ID,
  object: 'location',
  name: 'Harbor Dental — Downtown',
  address: { line1: '120 Harbor Street', city: 'Boston', region: 'MA', postal_code: '02110', country: 'US' },
  phone: '+15555550100',
  website: 'https://harbordental.example.com',
  timezone: 'America/New_York',
  created_at: '2026-01-05T14:00:00.000Z',
  updated_at: '2026-02-20T09:12:45.000Z',
};

const conversation = {
  id: CONVERSATION_ID,
  object: 'conversation',
  location_id: LOCATION_ID,
  channel: 'sms',
  contact: { name: 'Maria Alvarez', phone: '+15555550142', email: null },
  status: 'open',
  last_message_at: '2026-03-14T15:09:26.535Z',
  created_at: '2026-03-14T15:09:26.535Z',
  updated_at: '2026-03-14T15:09:26.535Z',
};

const message = {
  id: 'msg_01jd5p2fa0b3d5f7h9k1m3n5q7',
  object: 'message',
  conversation_id: CONVERSATION_ID,
  direction: 'inbound',
  body: 'Hi! Do you have any openings for a cleaning this Saturday morning?',
  status: 'received',
  sent_at: null,
  created_at: '2026-03-14T15:09:26.535Z',
};

const review = {
  id: 'rev_01jd5q7h3jc4e6g8j0k2m4p6r8',
  object: 'review',
  location_id: LOCATION_ID,
  source: 'google',
  rating: 5,
  author_name: 'James Carter',
  body: 'Friendly staff and they fit me in the same day. Highly recommend.',
  reply: null,
  replied_at: null,
  published_at: '2026-03-14T15:02:11.000Z',
  created_at: '2026-03-14T15:09:26.535Z',
  updated_at: '2026-03-14T15:09:26.535Z',
};

const lead = {
  id: 'lead_01jd4w1b5cd8f0h2k4m6p8r0t2',
  object: 'lead',
  location_id: LOCATION_ID,
  name: 'Priya Natarajan',
  email: 'priya.natarajan@example.com',
  phone: '+15555550187',
  source: 'website_form',
  status: 'converted',
  value: 1250,
  notes: 'Booked a full treatment plan.',
  converted_at: '2026-03-14T15:09:26.535Z',
  created_at: '2026-03-10T09:30:00.000Z',
  updated_at: '2026-03-14T15:09:26.535Z',
};

const syncRun = {
  id: 'sync_01jd5s4p7pe6g8j0m2p4r6t8v0',
  object: 'sync_run',
  location_id: LOCATION_ID,
  provider: 'google',
  status: 'failed',
  error: 'Google rejected the update: the business hours overlap on Monday.',
  started_at: '2026-03-14T15:09:20.112Z',
  finished_at: '2026-03-14T15:09:26.535Z',
  created_at: '2026-03-14T15:09:26.535Z',
};

const webhookSubscription = {
  id: SUBSCRIPTION_ID,
  url: 'https://hooks.example.com/faro',
  events: ['review.created', 'lead.converted'],
  description: 'CRM sync',
  enabled: true,
  disabled_reason: null,
  created_at: '2026-03-01T10:00:00.000Z',
  updated_at: '2026-03-01T10:00:00.000Z',
  health: {
    deliveries_24h: 40,
    succeeded_24h: 38,
    failed_24h: 1,
    retrying_24h: 1,
    success_rate_24h: 0.95,
    last_delivery_status: 'succeeded',
    last_delivery_at: '2026-03-14T15:09:26.535Z',
    last_test_status: 'succeeded',
    last_test_at: '2026-03-14T11:02:41.118Z',
  },
};

/** The delivery of the `review.created` example event to the example subscription. */
const webhookDelivery = {
  id: 'whdel_01jd5q7h3me7g9j1m3p5r7t9w1',
  subscription_id: SUBSCRIPTION_ID,
  event_id: EXAMPLE_EVENT_IDS['review.created'],
  event_type: 'review.created' as const,
  status: 'succeeded',
  next_attempt_at: null,
  last_status_code: 200,
  last_error: null,
  delivered_at: '2026-03-14T15:09:27.114Z',
  is_test: false,
  created_at: '2026-03-14T15:09:26.535Z',
  attempts: 1,
};

const webhookDeliveryAttempt = {
  id: 'whatt_01jd5q7h4nf8h0k2n4q6s8v0x2',
  attempt_number: 1,
  started_at: '2026-03-14T15:09:26.902Z',
  duration_ms: 212,
  request_headers: {
    'content-type': 'application/json',
    'user-agent': 'FARO-Webhooks/1',
    'webhook-id': EXAMPLE_EVENT_IDS['review.created'],
    'webhook-timestamp': '1773500966',
    'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  },
  response_status: 200,
  response_headers: { 'content-type': 'application/json' },
  response_body_excerpt: '{"ok":true}',
  error_kind: null,
  error_message: null,
};

/** The audit entry of the example subscription's creation, by an API key. */
const auditEvent = {
  id: 'audit_01jd5t6qzsg8j0m2p4s6v8x0z2',
  action: 'webhook.created',
  actor: { type: 'api_key', id: 'key_01jd4v8k2mc7e9g1j3m5p7r9t1', label: 'CRM integration' },
  target: { type: 'webhook_subscription', id: SUBSCRIPTION_ID, label: webhookSubscription.url },
  request_id: EXAMPLE_REQUEST_ID,
  details: {
    url: webhookSubscription.url,
    events: webhookSubscription.events,
    description: webhookSubscription.description,
    enabled: webhookSubscription.enabled,
  },
  created_at: webhookSubscription.created_at,
};

/** Keyed by the resource's `object` name (or its snake_case schema name where it has none). */
export const EXAMPLE_RESOURCES = {
  location,
  conversation,
  message,
  review,
  lead,
  sync_run: syncRun,
  webhook_subscription: webhookSubscription,
  webhook_delivery: webhookDelivery,
  webhook_delivery_attempt: webhookDeliveryAttempt,
  audit_event: auditEvent,
} satisfies Record<string, Record<string, unknown>>;

export const EXAMPLE_DATA: Record<EventType, Record<string, unknown>> = {
  'conversation.created': conversation,
  'message.received': message,
  'review.created': review,
  'lead.converted': lead,
  'sync.failed': syncRun,
  'faro.endpoint.disabled': {
    alert_id: 'alert_01jd5t7a1bc2d3e4f5g6h7j8k9',
    subscription_id: SUBSCRIPTION_ID,
    url: webhookSubscription.url,
    reason: 'The endpoint answered 410 Gone on 2026-03-14T15:09:26.535Z: disabled at once. Re-enable it to resume deliveries.',
    disabled_at: EXAMPLE_TIMESTAMP,
  },
  'faro.endpoint.failing': {
    alert_id: 'alert_01jd5t7a2cd3e4f5g6h7j8k9m0',
    subscription_id: SUBSCRIPTION_ID,
    url: webhookSubscription.url,
    failing_since: '2026-03-14T14:09:20.112Z',
  },
  'faro.api_key.expiring': {
    alert_id: 'alert_01jd5t7a3de4f5g6h7j8k9m0n1',
    key_id: auditEvent.actor.id,
    name: auditEvent.actor.label,
    masked_key: 'faro_live_Xk9p…4TqZ',
    expires_at: '2026-03-20T00:00:00.000Z',
  },
  'faro.rate_limit.approaching': {
    alert_id: 'alert_01jd5t7a4ef5g6h7j8k9m0n1p2',
    key_id: auditEvent.actor.id,
    name: auditEvent.actor.label,
    limit: 1000,
    used: 800,
    window_seconds: 3600,
  },
  'webhook.test': {
    message: 'This is a test event sent from FARO.',
    subscription_id: SUBSCRIPTION_ID,
  },
};
