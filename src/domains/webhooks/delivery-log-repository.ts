/**
 * The delivery log as the management API sees it: reading deliveries and attempts, recording
 * test sends, and the manual requeues (retry, recover, cancel on delete). The worker's queue
 * operations (claim, lease, outcome) live in deliveries-repository.ts.
 */
import { sql } from 'kysely';
import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../http/pagination.ts';
import type { DeliveryFilters } from './schemas.ts';

export type AttemptRow = Row<'webhook_delivery_attempts'>;

/** A delivery without its payload; `event_id` is the sample event's id for test sends. */
export interface DeliverySummaryRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: Row<'webhook_deliveries'>['status'];
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  is_test: boolean;
  created_at: Date;
}

export type DeliveryDetailRow = DeliverySummaryRow & { payload: string };

// Test sends have no outbox event; their webhook-id is the id inside the sample payload.
const eventIdColumn = sql<string>`coalesce(d.event_id, d.payload::jsonb ->> 'id')`.as('event_id');

const summaryColumns = [
  'd.id', 'd.subscription_id', 'd.event_type', 'd.status', 'd.attempts', 'd.next_attempt_at',
  'd.last_status_code', 'd.last_error', 'd.delivered_at', 'd.is_test', 'd.created_at',
] as const;

/** Deliveries of live (not deleted) subscriptions of the agency. */
function liveDeliveries(db: Executor, agencyId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .where('d.agency_id', '=', agencyId)
    .where('s.agency_id', '=', agencyId)
    .where('s.deleted_at', 'is', null);
}

export async function insertDelivery(db: Executor, row: NewRow<'webhook_deliveries'>): Promise<void> {
  await db.insertInto('webhook_deliveries').values(row).execute();
}

/** A subscription's deliveries of the event types in `types` (those the caller may read), newest first. */
export async function listDeliveries(
  db: Executor,
  agencyId: string,
  subscriptionId: string,
  filters: { status?: DeliveryFilters['status']; types: readonly string[] },
  page: PageRequest,
): Promise<DeliverySummaryRow[]> {
  // Filtered here, not in memory, so has_more and the cursor stay exact.
  if (filters.types.length === 0) return [];
  let query = liveDeliveries(db, agencyId)
    .select([...summaryColumns, eventIdColumn])
    .where('d.subscription_id', '=', subscriptionId)
    .where('d.event_type', 'in', filters.types);
  if (filters.status) query = query.where('d.status', '=', filters.status);
  if (page.before) query = query.where('d.id', '<', page.before);
  return query.orderBy('d.id', 'desc').limit(page.limit + 1).execute();
}

export async function findDelivery(db: Executor, agencyId: string, id: string): Promise<DeliveryDetailRow | undefined> {
  return liveDeliveries(db, agencyId).select([...summaryColumns, eventIdColumn, 'd.payload']).where('d.id', '=', id).executeTakeFirst();
}

export async function listAttempts(db: Executor, agencyId: string, deliveryId: string): Promise<AttemptRow[]> {
  return db
    .selectFrom('webhook_delivery_attempts')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt_number', 'asc')
    .execute();
}

/**
 * Make a delivery due now, whatever its state. A delivery leased by a worker is being sent at
 * this moment: it is left alone (that attempt records itself), so no attempt is made twice.
 */
export async function requeueDelivery(db: Executor, agencyId: string, id: string, at: Date): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', scheduled: false, next_attempt_at: at, updated_at: at, locked_until: null, locked_by: null })
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
    .execute();
}

/**
 * Put a subscription's failed deliveries (real events) created since `since` back in the queue,
 * and those cancelled when it was disabled (auto-disable, 410): after an outage, both are what
 * the receiver missed.
 */
export async function requeueFailedDeliveries(db: Executor, agencyId: string, subscriptionId: string, since: Date, at: Date): Promise<number> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', scheduled: false, next_attempt_at: at, updated_at: at, locked_until: null, locked_by: null })
    .where('agency_id', '=', agencyId)
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['failed', 'cancelled'])
    .where('is_test', '=', false)
    .where('created_at', '>=', since)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Cancel what waits in the queue for a subscription that is being deleted. A delivery leased
 * right now finishes its attempt; the worker cancels any retry of a deleted subscription.
 */
export async function cancelQueuedDeliveries(db: Executor, agencyId: string, subscriptionId: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, last_error: 'Cancelled: the subscription was deleted.', updated_at: at })
    .where('agency_id', '=', agencyId)
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
