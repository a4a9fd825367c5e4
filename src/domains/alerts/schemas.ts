/**
 * Health alerts: the `data` of each operational event (faro.*), and the portal's list of open
 * alerts. An alert's `details` is its event's data without `alert_id`, kept on the alert row.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { DateTime, Nullable } from '../../lib/schema.ts';
import type { AlertKind } from '../../db/types.ts';
import type { OperationalEventType } from '../events/event-types.ts';

export const ALERT_KINDS = ['endpoint_disabled', 'endpoint_failing', 'api_key_expiring', 'rate_limit_approaching'] as const satisfies readonly AlertKind[];

/** The event each kind of alert raises. */
export const ALERT_EVENT_TYPES: Readonly<Record<AlertKind, OperationalEventType>> = {
  endpoint_disabled: 'faro.endpoint.disabled',
  endpoint_failing: 'faro.endpoint.failing',
  api_key_expiring: 'faro.api_key.expiring',
  rate_limit_approaching: 'faro.rate_limit.approaching',
};

/** An endpoint failing this long without one success is `failing` (auto-disable comes days later). */
export const FAILING_ALERT_AFTER_MS = 3600_000;
/** A key expiring within this is `expiring`. */
export const EXPIRING_ALERT_WITHIN_MS = 7 * 24 * 3600_000;
/** The share of a key's hourly quota that raises `rate_limit_approaching`. */
export const QUOTA_ALERT_RATIO = 0.8;

/** The request count at which a key's quota alert is raised. */
export function quotaAlertThreshold(limit: number): number {
  return Math.max(1, Math.ceil(limit * QUOTA_ALERT_RATIO));
}

const AlertId = Type.String({ pattern: '^alert_[0-9a-z]{26}$', description: 'The alert. The same occurrence is never raised twice; a new one gets a new id.' });
const SubscriptionId = Type.String({ description: 'The webhook subscription (endpoint).' });
const KeyId = Type.String({ description: 'The API key.' });

export const EndpointDisabledDataSchema = Type.Object(
  {
    alert_id: AlertId,
    subscription_id: SubscriptionId,
    url: Type.String(),
    reason: Type.String({ description: 'Why FARO disabled it (410 Gone, or failing for days), as `disabled_reason` says.' }),
    disabled_at: DateTime(),
  },
  { title: 'EndpointDisabledAlert', description: 'An endpoint FARO disabled. Not sent to the endpoint itself (it is disabled): subscribe another endpoint to hear of it.' },
);

export const EndpointFailingDataSchema = Type.Object(
  {
    alert_id: AlertId,
    subscription_id: SubscriptionId,
    url: Type.String(),
    failing_since: DateTime('Since when every attempt failed.'),
  },
  { title: 'EndpointFailingAlert', description: 'An endpoint whose every delivery attempt failed for an hour.' },
);

export const ApiKeyExpiringDataSchema = Type.Object(
  {
    alert_id: AlertId,
    key_id: KeyId,
    name: Type.String(),
    masked_key: Type.String(),
    expires_at: DateTime(),
  },
  { title: 'ApiKeyExpiringAlert', description: 'An API key that stops working within 7 days (and was not rotated).' },
);

export const RateLimitApproachingDataSchema = Type.Object(
  {
    alert_id: AlertId,
    key_id: KeyId,
    name: Type.String(),
    limit: Type.Integer({ description: 'Requests allowed per rolling window.' }),
    used: Type.Integer({ description: 'Requests counted in the window when the alert was raised (80 % of `limit`).' }),
    window_seconds: Type.Integer(),
  },
  { title: 'RateLimitApproachingAlert', description: 'An API key that used 80 % of its hourly quota. Raised at most once per key per window.' },
);

export const ALERT_DATA_SCHEMAS: Readonly<Record<OperationalEventType, TSchema>> = {
  'faro.endpoint.disabled': EndpointDisabledDataSchema,
  'faro.endpoint.failing': EndpointFailingDataSchema,
  'faro.api_key.expiring': ApiKeyExpiringDataSchema,
  'faro.rate_limit.approaching': RateLimitApproachingDataSchema,
};

export const OpenAlertSchema = Type.Object(
  {
    id: AlertId,
    kind: Type.Enum(ALERT_KINDS),
    event_type: Type.String(),
    subject_id: Type.String({ description: 'The subscription (whsub_) or key (key_) it is about.' }),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'The event data, without alert_id.' }),
    event_id: Nullable(Type.String()),
    raised_at: DateTime(),
  },
  { title: 'OpenAlert' },
);
export const OpenAlertListSchema = Type.Object({ data: Type.Array(OpenAlertSchema) }, { title: 'OpenAlertList' });
export type OpenAlert = Static<typeof OpenAlertSchema>;
