import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { notify } from '../../db/database.ts';
import { ApiError, notFound } from '../../kit/errors.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import type { Clock } from '../../lib/clock.ts';
import { iso, isoOrNull } from '../../lib/schema.ts';
import * as log from './delivery-log-repository.ts';
import { findSubscription } from './subscriptions-repository.ts';
import { DeliveryNotClaimableError, type AttemptOutcome } from './delivery/executor.ts';
import { DELIVERIES_CHANNEL, requeueDelivery, requeueFailedDeliveries } from './delivery/queue-repository.ts';
import { assertMayReadEvents, readableEventTypes, type ScopedCaller } from '../events/scope-fence.ts';
import type { Attempt, Delivery, DeliveryDetail, DeliveryFilters } from './schemas.ts';
import { recordAudit } from '../audit/service.ts';
import type { AuditActor } from '../audit/schemas.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DeliveryLogServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Deliveries older than this are pruned, so recovering further back finds nothing. */
  retentionDays: number;
  attemptDelivery: (deliveryId: string) => Promise<AttemptOutcome>;
}

function deliveryFields(row: log.DeliverySummaryRow) {
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    event_id: row.event_id,
    // The column is text; only catalog types are ever written to it.
    event_type: row.event_type as Delivery['event_type'],
    status: row.status,
    next_attempt_at: isoOrNull(row.next_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: isoOrNull(row.delivered_at),
    is_test: row.is_test,
    created_at: iso(row.created_at),
  };
}

export function toDelivery(row: log.DeliverySummaryRow): Delivery {
  return { ...deliveryFields(row), attempts: row.attempts };
}

function toAttempt(row: log.AttemptRow): Attempt {
  return {
    id: row.id,
    attempt_number: row.attempt_number,
    started_at: iso(row.started_at),
    duration_ms: row.duration_ms,
    request_headers: row.request_headers,
    response_status: row.response_status,
    response_headers: row.response_headers,
    response_body_excerpt: row.response_body_excerpt,
    error_kind: row.error_kind,
    error_message: row.error_message,
  };
}

/** The delivery log of the management API: reading it, and redelivering (one, or after an outage). */
export function createDeliveryLogService(deps: DeliveryLogServiceDeps) {
  const { db, clock } = deps;

  async function liveSubscription(agencyId: string, id: string) {
    const subscription = await findSubscription(db, agencyId, id);
    if (!subscription) throw notFound('webhook subscription');
    return subscription;
  }

  function assertEnabled(subscription: { enabled: boolean }): void {
    // The worker cancels deliveries of disabled subscriptions instead of sending them.
    if (!subscription.enabled) {
      throw new ApiError('conflict', 'The subscription is disabled; enable it (PATCH enabled: true) before redelivering.');
    }
  }

  async function loadDelivery(agencyId: string, id: string): Promise<log.DeliveryDetailRow> {
    const row = await log.findDelivery(db, agencyId, id);
    if (!row) throw notFound('webhook delivery');
    return row;
  }

  /** A delivery the caller may see: its event type's resource scope is held (403 otherwise). */
  async function readableDelivery(caller: ScopedCaller, id: string): Promise<log.DeliveryDetailRow> {
    const row = await loadDelivery(caller.agencyId, id);
    assertMayReadEvents(caller, [row.event_type]);
    return row;
  }

  return {
    /** Only deliveries of event types the caller may read; asking for another (`event_type=`) is a 403. */
    async list(caller: ScopedCaller, subscriptionId: string, filters: DeliveryFilters, page: PageRequest): Promise<Page<Delivery>> {
      if (filters.event_type) assertMayReadEvents(caller, [filters.event_type]);
      await liveSubscription(caller.agencyId, subscriptionId);
      const types = filters.event_type ? [filters.event_type] : readableEventTypes(caller);
      return toPage(await log.listDeliveries(db, caller.agencyId, subscriptionId, { status: filters.status, types }, page), page.limit, toDelivery);
    },

    async get(caller: ScopedCaller, id: string): Promise<DeliveryDetail> {
      const { agencyId } = caller;
      const row = await readableDelivery(caller, id);
      const attempts = await log.listAttempts(db, agencyId, id);
      return { ...deliveryFields(row), payload: JSON.parse(row.payload) as unknown, attempts: attempts.map(toAttempt) };
    },

    /**
     * Redeliver now, whatever the delivery's state (a delivery being sent at this moment is left
     * to finish). Counts as one more attempt. Test sends are attempted here, as the worker leaves
     * them to their caller.
     */
    async retry(caller: ScopedCaller, id: string, actor: AuditActor): Promise<Delivery> {
      const { agencyId } = caller;
      const delivery = await readableDelivery(caller, id);
      assertEnabled(await liveSubscription(agencyId, delivery.subscription_id));
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await requeueDelivery(trx, agencyId, id, now);
        await recordAudit(trx, {
          agencyId, actor, action: 'webhook_delivery.redelivered', target: { type: 'webhook_delivery', id }, at: now,
          details: { subscription_id: delivery.subscription_id, event_id: delivery.event_id, event_type: delivery.event_type, status_before: delivery.status },
        });
        if (!delivery.is_test) await notify(trx, DELIVERIES_CHANNEL, id);
      });
      if (delivery.is_test) {
        // Already being sent by someone else is as good as sent now.
        await deps.attemptDelivery(id).catch((error: unknown) => {
          if (!(error instanceof DeliveryNotClaimableError)) throw error;
        });
      }
      return toDelivery(await loadDelivery(agencyId, id));
    },

    /** Requeue a subscription's failed (or disable-cancelled) deliveries created since `since`, after an outage. */
    async recover(agencyId: string, subscriptionId: string, since: string, actor: AuditActor): Promise<{ requeued: number }> {
      const from = new Date(since);
      const now = clock.now();
      if (from.getTime() > now.getTime()) {
        throw new ApiError('validation_failed', '`since` is in the future.', { errors: [{ path: 'body.since', message: 'must not be in the future' }] });
      }
      if (from.getTime() < now.getTime() - deps.retentionDays * DAY_MS) {
        throw new ApiError('validation_failed', `\`since\` must be within the last ${deps.retentionDays} days; older deliveries are not kept.`, {
          errors: [{ path: 'body.since', message: `must be within the last ${deps.retentionDays} days` }],
        });
      }
      assertEnabled(await liveSubscription(agencyId, subscriptionId));
      const requeued = await db.transaction().execute(async (trx) => {
        const count = await requeueFailedDeliveries(trx, agencyId, subscriptionId, from, now);
        await recordAudit(trx, {
          agencyId, actor, action: 'webhook.recovered', target: { type: 'webhook_subscription', id: subscriptionId }, at: now,
          details: { since: from.toISOString(), requeued: count },
        });
        if (count > 0) await notify(trx, DELIVERIES_CHANNEL, subscriptionId);
        return count;
      });
      return { requeued };
    },
  };
}

export type DeliveryLogService = ReturnType<typeof createDeliveryLogService>;
