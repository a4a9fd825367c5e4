// The public API's operations as the contract suite (contract.test.ts) calls them: for each one
// of the document, the URL, body and success status, and the special cases that produce its other
// declared statuses.
import type { HttpMethod } from '../support/contract.ts';
import type { Seeded } from './support.ts';
import { newId } from '../../src/lib/ids.ts';
import { LEAD_BODY_LIMIT_BYTES, BODY_LIMIT_BYTES } from '../../src/http/body-limits.ts';

/** What each case needs to name real things: the seeded agency, its webhook objects, and another tenant's. */
export interface World {
  seed: Seeded;
  other: Seeded;
  subscription: string;
  disabledSubscription: string;
  doomedSubscription: string;
  delivery: string;
  disabledDelivery: string;
  event: string;
  otherEvent: string;
  /** The seeded agency's all-scopes key, and one of its request log entries; the same of the other tenant. */
  keyId: string;
  otherKeyId: string;
  requestLog: string;
  otherRequestLog: string;
}

export interface Case {
  /** Why this call is made, for the failure message. */
  name: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is with this content type instead of JSON. */
  raw?: { contentType: string; payload: string };
  status: number;
}

/** The operations by the document's method and path, each with the ways to call it. */
export interface OperationCases {
  method: HttpMethod;
  path: string;
  /** A URL of the operation for this world, ids filled in. */
  url(w: World): string;
  /** For `{id}` operations: the URL with another id in its place. */
  withId?(id: string): string;
  /** The id of the other tenant's object of the same kind, for the 404 case. */
  otherId?(w: World): string;
  idPrefix?: Parameters<typeof newId>[0];
  body?(w: World): unknown;
  maxBytes?: number;
  success: number;
  special?(w: World): Case[];
  /** Test-mode only: its cases send faro_test_ keys (a live key is a special case). */
  testMode?: boolean;
}

export const api = (path: string) => `/api/v1${path}`;
export const idOp = (base: string, prefix: OperationCases['idPrefix'], suffix = '') => ({
  withId: (id: string) => api(`/${base}/${id}${suffix}`),
  idPrefix: prefix,
});

export const OPERATIONS: OperationCases[] = [
  { method: 'GET', path: '/api/v1/audit-events', url: () => api('/audit-events'), success: 200 },
  { method: 'GET', path: '/api/v1/locations', url: () => api('/locations'), success: 200 },
  {
    method: 'GET',
    path: '/api/v1/usage',
    url: (w) => api(`/usage?key_id=${w.keyId}&granularity=day`),
    success: 200,
    special: (w) => [
      { name: 'another tenant’s key', url: api(`/usage?key_id=${w.otherKeyId}`), status: 404 },
      { name: 'a range longer than 31 days', url: api(`/usage?key_id=${w.keyId}&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`), status: 400 },
    ],
  },
  { method: 'GET', path: '/api/v1/request-logs', url: () => api('/request-logs?status=2xx&path=/api/v1/'), success: 200 },
  { method: 'GET', path: '/api/v1/request-logs/{id}', url: (w) => api(`/request-logs/${w.requestLog}`), ...idOp('request-logs', 'reqlog'), otherId: (w) => w.otherRequestLog, success: 200 },
  { method: 'GET', path: '/api/v1/locations/{id}', url: (w) => api(`/locations/${w.seed.locations[0]}`), ...idOp('locations', 'loc'), otherId: (w) => w.other.locations[0]!, success: 200 },
  { method: 'GET', path: '/api/v1/conversations', url: () => api('/conversations?status=open'), success: 200 },
  { method: 'GET', path: '/api/v1/conversations/{id}', url: (w) => api(`/conversations/${w.seed.conversations.all[0]}`), ...idOp('conversations', 'conv'), otherId: (w) => w.other.conversations.all[0]!, success: 200 },
  {
    method: 'GET',
    path: '/api/v1/conversations/{id}/messages',
    url: (w) => api(`/conversations/${w.seed.conversations.all[0]}/messages`),
    ...idOp('conversations', 'conv', '/messages'),
    otherId: (w) => w.other.conversations.all[0]!,
    success: 200,
  },
  { method: 'GET', path: '/api/v1/messages', url: () => api('/messages?direction=inbound'), success: 200 },
  { method: 'GET', path: '/api/v1/messages/{id}', url: (w) => api(`/messages/${w.seed.messages.all[0]}`), ...idOp('messages', 'msg'), otherId: (w) => w.other.messages.all[0]!, success: 200 },
  { method: 'GET', path: '/api/v1/reviews', url: (w) => api(`/reviews?limit=2&created_since=${encodeURIComponent(w.seed.midpoint)}`), success: 200 },
  { method: 'GET', path: '/api/v1/reviews/{id}', url: (w) => api(`/reviews/${w.seed.reviews[0]}`), ...idOp('reviews', 'rev'), otherId: (w) => w.other.reviews[0]!, success: 200 },
  { method: 'GET', path: '/api/v1/leads', url: () => api('/leads?status=converted'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/leads',
    url: () => api('/leads'),
    body: (w) => ({ location_id: w.seed.locations[0], name: 'Contract Lead', value: 19.99 }),
    maxBytes: LEAD_BODY_LIMIT_BYTES,
    success: 201,
    special: (w) => [
      { name: 'a body the service refuses (another tenant’s location)', url: api('/leads'), body: { location_id: w.other.locations[0], name: 'X' }, status: 400 },
      { name: 'first use of an Idempotency-Key', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Once' }, headers: { 'idempotency-key': 'contract-key-1' }, status: 201 },
      { name: 'the same key replayed', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Once' }, headers: { 'idempotency-key': 'contract-key-1' }, status: 201 },
      { name: 'the same key with another body', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Twice' }, headers: { 'idempotency-key': 'contract-key-1' }, status: 422 },
      { name: 'a key whose first request is still running', url: api('/leads'), body: { location_id: w.seed.locations[0], name: 'Running' }, headers: { 'idempotency-key': 'contract-running' }, status: 409 },
    ],
  },
  { method: 'GET', path: '/api/v1/leads/{id}', url: (w) => api(`/leads/${w.seed.leads[0]}`), ...idOp('leads', 'lead'), otherId: (w) => w.other.leads[0]!, success: 200 },
  {
    method: 'PATCH',
    path: '/api/v1/leads/{id}',
    url: (w) => api(`/leads/${w.seed.leads[1]}`),
    ...idOp('leads', 'lead'),
    otherId: (w) => w.other.leads[0]!,
    body: () => ({ notes: 'Called back', value: 1.15 }),
    maxBytes: LEAD_BODY_LIMIT_BYTES,
    success: 200,
  },
  { method: 'GET', path: '/api/v1/events', url: () => api('/events?type=review.created'), success: 200 },
  {
    method: 'GET',
    path: '/api/v1/events/stream',
    url: () => api('/events/stream?types=review.created'),
    success: 200,
    special: (w) => [
      { name: 'an unknown event type', url: api('/events/stream?types=review.deleted'), status: 400 },
      { name: 'a Last-Event-ID that names no event', url: api('/events/stream'), headers: { 'last-event-id': newId('evt') }, status: 400 },
      { name: 'resuming after an event', url: api(`/events/stream?last_event_id=${w.event}`), status: 200 },
    ],
  },
  { method: 'GET', path: '/api/v1/events/{id}', url: (w) => api(`/events/${w.event}`), ...idOp('events', 'evt'), otherId: (w) => w.otherEvent, success: 200 },
  { method: 'GET', path: '/api/v1/webhooks', url: () => api('/webhooks'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    url: () => api('/webhooks'),
    body: () => ({ url: 'https://hooks.example.com/contract', events: ['review.created', 'lead.converted'], description: 'contract' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 201,
  },
  { method: 'GET', path: '/api/v1/webhooks/event-types', url: () => api('/webhooks/event-types'), success: 200 },
  { method: 'GET', path: '/api/v1/webhooks/{id}', url: (w) => api(`/webhooks/${w.subscription}`), ...idOp('webhooks', 'whsub'), success: 200 },
  {
    method: 'PATCH',
    path: '/api/v1/webhooks/{id}',
    url: (w) => api(`/webhooks/${w.subscription}`),
    ...idOp('webhooks', 'whsub'),
    body: () => ({ description: 'renamed' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 200,
  },
  { method: 'DELETE', path: '/api/v1/webhooks/{id}', url: (w) => api(`/webhooks/${w.doomedSubscription}`), ...idOp('webhooks', 'whsub'), success: 204 },
  { method: 'GET', path: '/api/v1/webhooks/{id}/deliveries', url: (w) => api(`/webhooks/${w.subscription}/deliveries?limit=5`), ...idOp('webhooks', 'whsub', '/deliveries'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/recover',
    url: (w) => api(`/webhooks/${w.subscription}/recover`),
    ...idOp('webhooks', 'whsub', '/recover'),
    body: () => ({ since: new Date(Date.now() - 3600_000).toISOString() }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 202,
    special: (w) => [
      { name: 'recover on a disabled subscription', url: api(`/webhooks/${w.disabledSubscription}/recover`), body: { since: new Date(Date.now() - 3600_000).toISOString() }, status: 409 },
    ],
  },
  { method: 'POST', path: '/api/v1/webhooks/{id}/rotate-secret', url: (w) => api(`/webhooks/${w.subscription}/rotate-secret`), ...idOp('webhooks', 'whsub', '/rotate-secret'), success: 200 },
  { method: 'GET', path: '/api/v1/webhooks/{id}/secret', url: (w) => api(`/webhooks/${w.subscription}/secret`), ...idOp('webhooks', 'whsub', '/secret'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/test',
    url: (w) => api(`/webhooks/${w.subscription}/test`),
    ...idOp('webhooks', 'whsub', '/test'),
    body: () => ({ event_type: 'lead.converted' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 200,
  },
  { method: 'GET', path: '/api/v1/webhook-deliveries/{id}', url: (w) => api(`/webhook-deliveries/${w.delivery}`), ...idOp('webhook-deliveries', 'whdel'), success: 200 },
  {
    method: 'POST',
    path: '/api/v1/test/events',
    url: () => api('/test/events'),
    body: () => ({ type: 'review.created' }),
    maxBytes: BODY_LIMIT_BYTES,
    success: 201,
    testMode: true,
    special: (w) => [{ name: 'a live key', url: api('/test/events'), body: { type: 'review.created' }, headers: w.seed.headers, status: 403 }],
  },
  {
    method: 'POST',
    path: '/api/v1/webhook-deliveries/{id}/retry',
    url: (w) => api(`/webhook-deliveries/${w.delivery}/retry`),
    ...idOp('webhook-deliveries', 'whdel', '/retry'),
    success: 202,
    special: (w) => [{ name: 'retry a delivery of a disabled subscription', url: api(`/webhook-deliveries/${w.disabledDelivery}/retry`), status: 409 }],
  },
];
