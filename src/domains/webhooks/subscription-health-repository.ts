/**
 * What delivery outcomes do to a subscription: the start of its current run of failures
 * (failing_since; a success clears it, see delivery-results-repository.ts) and disabling it (410 Gone, or failing too long),
 * which cancels its queued deliveries.
 */
import type { Executor } from '../../db/types.ts';

/** Sets failing_since to `now` unless a run of failures is already under way. */
export async function markSubscriptionFailing(trx: Executor, subscriptionId: string, now: Date): Promise<void> {
  await trx
    .updateTable('webhook_subscriptions')
    .set({ failing_since: now })
    .where('id', '=', subscriptionId)
    .where('failing_since', 'is', null)
    .execute();
}

/**
 * Disables an enabled subscription with a reason. With `failingSinceBefore`, only if it has
 * been failing since at least then (checked on the row itself, so a concurrent success wins).
 */
export async function disableSubscription(
  trx: Executor,
  options: { subscriptionId: string; reason: string; now: Date; failingSinceBefore?: Date },
): Promise<boolean> {
  let query = trx
    .updateTable('webhook_subscriptions')
    .set({ enabled: false, disabled_reason: options.reason, disabled_at: options.now, updated_at: options.now })
    .where('id', '=', options.subscriptionId)
    .where('enabled', '=', true);
  if (options.failingSinceBefore) query = query.where('failing_since', '<=', options.failingSinceBefore);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Cancels a subscription's deliveries that wait for an attempt (leased ones finish first). */
export async function cancelPendingDeliveries(trx: Executor, subscriptionId: string, reason: string, now: Date): Promise<number> {
  const result = await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, last_error: reason, updated_at: now })
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Cancels a delivery just put back in the queue when its subscription was disabled or deleted
 * meanwhile (e.g. by a concurrent attempt's 410), so it does not wait for a claim to notice.
 */
export async function cancelIfSubscriptionInactive(trx: Executor, deliveryId: string, now: Date): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, updated_at: now })
    .where('id', '=', deliveryId)
    .where('status', '=', 'pending')
    .where((eb) =>
      eb.exists(
        eb.selectFrom('webhook_subscriptions as s')
          .select('s.id')
          .whereRef('s.id', '=', 'webhook_deliveries.subscription_id')
          .where((inner) => inner.or([inner('s.enabled', '=', false), inner('s.deleted_at', 'is not', null)])),
      ),
    )
    .execute();
}
