/**
 * The delivery log as the management API sees it: reading deliveries and attempts, and pruning
 * them (retention). Every change of a delivery's state, the manual requeues included, is in
 * delivery/queue-repository.ts.
 */
import { sql } from 'kysely';
import type { Executor, Row } from '../../db/types.ts';
import { deleteBatchBefore } from '../../db/retention.ts';
import { idFloor } from '../../lib/ids.ts';
import type { PageRequest } from '../../kit/pagination.ts';
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

/** Deletes up to `batchSize` attempts started before `cutoff` (retention); returns how many. */
export async function pruneAttempts(db: Executor, cutoff: Date, batchSize: number): Promise<number> {
  return deleteBatchBefore(db, 'webhook_delivery_attempts', 'started_at', cutoff, batchSize);
}

/** Deletes up to `batchSize` deliveries created before `cutoff` (retention; by id, which is time-ordered); returns how many. */
export async function pruneDeliveries(db: Executor, cutoff: Date, batchSize: number): Promise<number> {
  return deleteBatchBefore(db, 'webhook_deliveries', 'id', idFloor('whdel', cutoff), batchSize);
}
