/** Checks and renderings shared by the subscription service: URL policy, event lists, JSON shapes. */
import { ApiError } from '../../kit/errors.ts';
import { iso } from '../../lib/schema.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from '../events/event-types.ts';
import { checkUrlAtCreate, LOCAL_TARGET_ADVICE, type ResolveHost } from './delivery/ssrf.ts';
import { assertMayReadEvents, type ScopedCaller } from '../events/scope-fence.ts';
import { ALL_EVENTS, type Subscription, type SubscriptionHealth } from './schemas.ts';
import type { HealthRow, SubscriptionRow } from './subscriptions-repository.ts';

/**
 * 400 `invalid_webhook_url` unless the URL is well formed and (unless allowPrivate) public. A
 * local or private target also says what to do instead, in the detail and the field error.
 */
export async function assertAllowedUrl(url: string, policy: { allowPrivate: boolean; resolve?: ResolveHost | undefined }): Promise<void> {
  const check = await checkUrlAtCreate(url, { allowPrivate: policy.allowPrivate, ...(policy.resolve ? { resolve: policy.resolve } : {}) });
  if (!check.ok) {
    const advice = check.local ? ` ${LOCAL_TARGET_ADVICE}.` : '';
    throw new ApiError('invalid_webhook_url', `The webhook URL is not allowed: ${check.reason}.${advice}`, {
      errors: [{ path: 'body.url', message: check.local ? `${check.reason}. ${LOCAL_TARGET_ADVICE}` : check.reason }],
    });
  }
}

/**
 * `["*"]` stands alone. The schema's enum has already refused unknown types and the test ping, one
 * error per item; this is the one rule about `events` it does not express.
 */
export function assertStarAlone(events: readonly string[]): void {
  if (!events.includes(ALL_EVENTS) || events.length === 1) return;
  throw new ApiError('validation_failed', '"*" already means every event type; send ["*"] alone or list the types.', {
    errors: [{ path: 'body.events', message: '"*" cannot be combined with other event types' }],
  });
}

/**
 * 403 `insufficient_scope` unless the caller may read every event type a subscription to `events`
 * would deliver: subscribing is reading, by POST. `*` means every type, so it needs every scope.
 */
export function assertMayReceive(caller: ScopedCaller, events: readonly string[]): void {
  assertMayReadEvents(caller, events.includes(ALL_EVENTS) ? SUBSCRIBABLE_EVENT_TYPES : events);
}

export const EMPTY_HEALTH: SubscriptionHealth = {
  deliveries_24h: 0,
  succeeded_24h: 0,
  failed_24h: 0,
  retrying_24h: 0,
  success_rate_24h: null,
  last_delivery_status: null,
  last_delivery_at: null,
  last_test_status: null,
  last_test_at: null,
};

type DeliveryStatus = SubscriptionHealth['last_delivery_status'];
const isoOf = (at: Date | null) => (at ? new Date(at).toISOString() : null);

/**
 * The success rate counts what a receiver's owner counts: every delivery with an outcome so far.
 * One retrying after a failed attempt is not a success (yet), so it weighs like a failure; one not
 * attempted yet has no outcome and is left out. Test sends are reported apart, never counted.
 */
export function toHealth(row: HealthRow | undefined): SubscriptionHealth {
  if (!row) return EMPTY_HEALTH;
  const succeeded = Number(row.succeeded);
  const failed = Number(row.failed);
  const retrying = Number(row.retrying);
  const decided = succeeded + failed + retrying;
  return {
    deliveries_24h: Number(row.deliveries),
    succeeded_24h: succeeded,
    failed_24h: failed,
    retrying_24h: retrying,
    success_rate_24h: decided === 0 ? null : succeeded / decided,
    last_delivery_status: row.last_status as DeliveryStatus,
    last_delivery_at: isoOf(row.last_created_at),
    last_test_status: row.last_test_status as DeliveryStatus,
    last_test_at: isoOf(row.last_test_created_at),
  };
}

export function toSubscription(row: SubscriptionRow, health: SubscriptionHealth): Subscription {
  return {
    id: row.id,
    url: row.url,
    // Stored as JSON text; only lists the schema accepted are ever written.
    events: row.events as Subscription['events'],
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    health,
  };
}
