// The service's JSON shapes, named for the pages. Nothing here is written by hand: each alias
// points into the types `npm run openapi` generates from the route schemas, so a change of the
// API shows up here as a type error (`npm run openapi:check` keeps the generated files current).
//   public-api.gen.ts: api/openapi.yaml, the published /api/v1 reference.
//   portal-api.gen.ts: the portal's own /portal/api routes (cookie session), not published.
import type { components } from './public-api.gen.ts';
import type { paths as PortalPaths } from './portal-api.gen.ts';

type Schemas = components['schemas'];

/** The JSON body of an operation's success response (the generated portal operations have one). */
type JsonOf<Operation> = Operation extends { responses: infer Responses }
  ? { [Status in keyof Responses]: Responses[Status] extends { content: { 'application/json': infer Body } } ? Body : never }[keyof Responses]
  : never;

/** The JSON request body of an operation. */
type BodyOf<Operation> = Operation extends { requestBody: { content: { 'application/json': infer Body } } } ? Body : never;

// The portal's session and API keys (/portal/api).
export type Session = JsonOf<PortalPaths['/portal/api/me']['get']>;
export type Tier = Session['agency']['tier'];

export type ApiKey = JsonOf<PortalPaths['/portal/api/api-keys/{id}']['get']>;
export type ApiKeyList = JsonOf<PortalPaths['/portal/api/api-keys']['get']>;
/** Returned by create and rotate: the only time the full key is ever sent. */
export type NewApiKey = JsonOf<PortalPaths['/portal/api/api-keys']['post']>;
export type NewApiKeyInput = BodyOf<PortalPaths['/portal/api/api-keys']['post']>;
export type ScopeList = JsonOf<PortalPaths['/portal/api/api-keys/scopes']['get']>;
export type ScopeInfo = ScopeList['data'][number];
export type KeyUsage = JsonOf<PortalPaths['/portal/api/api-keys/{id}/usage']['get']>;
export type DeliveryStats = JsonOf<PortalPaths['/portal/api/webhooks/{id}/delivery-stats']['get']>;
export type DeliveryStatsHour = DeliveryStats['data'][number];
export type StatsRange = DeliveryStats['range'];
export type OpenAlert = JsonOf<PortalPaths['/portal/api/alerts']['get']>['data'][number];

// The public API the portal calls with its session (/api/v1).
export type FieldError = NonNullable<Schemas['Problem']['errors']>[number];

export type AuditEvent = Schemas['AuditEvent'];
export type AuditEventList = Schemas['AuditEventList'];
export type AuditAction = AuditEvent['action'];

export type ApiUsage = Schemas['ApiUsage'];
export type ApiUsageBucket = Schemas['ApiUsageBucket'];
export type RequestLog = Schemas['RequestLog'];
export type RequestLogList = Schemas['RequestLogList'];

export type EventType = Schemas['WebhookEventType'];
export type EventTypeList = Schemas['WebhookEventTypeList'];
export type Subscription = Schemas['WebhookSubscription'];
export type SubscriptionWithSecret = Schemas['WebhookSubscriptionWithSecret'];
export type SubscriptionList = Schemas['WebhookSubscriptionList'];
export type SubscriptionHealth = Schemas['WebhookSubscriptionHealth'];
export type SubscriptionInput = Schemas['CreateWebhookSubscription'];
/** What a subscription's `events` may list: a subscribable event type, or `*` for all of them. */
export type SubscribedEvent = SubscriptionInput['events'][number];
export type SubscriptionUpdate = Schemas['UpdateWebhookSubscription'];
export type SubscriptionSecret = Schemas['WebhookSecret'];
export type RotatedSecret = Schemas['RotatedWebhookSecret'];
export type TestOutcome = Schemas['WebhookTestOutcome'];
export type RecoverResult = Schemas['WebhookRecoverResult'];

export type Delivery = Schemas['WebhookDelivery'];
export type DeliveryList = Schemas['WebhookDeliveryList'];
/** The detail replaces the list's attempt count with the attempts themselves (oldest first). */
export type DeliveryDetail = Schemas['WebhookDeliveryDetail'];
export type Attempt = Schemas['WebhookDeliveryAttempt'];
