/**
 * A subscription's delivery history per hour (the endpoint charts): deliveries by outcome, and
 * attempt latency percentiles. Both read the subscription's deliveries through the
 * (subscription_id, id) index, bounded by time through the time-ordered id; attempts are then
 * fetched per delivery by their (delivery_id, attempt_number) key. Hours are whole hours since the
 * Unix epoch, so buckets do not depend on the session's time zone.
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/types.ts';
import { idFloor } from '../../lib/ids.ts';

/**
 * Retries of a delivery run for about 28 hours (retry-schedule.ts, +20 % jitter: under 34), so an
 * attempt in the range belongs to a delivery created at most this long before it.
 */
const RETRY_SPAN_MS = 36 * 3600_000;

export interface HourlyDeliveriesRow {
  hour: number;
  succeeded: number;
  failed: number;
  retrying: number;
}

export interface HourlyLatencyRow {
  hour: number;
  attempts: number;
  p50: number | null;
  p95: number | null;
}

/**
 * Real (not test) deliveries created in [from, to), per hour of creation, by their state now:
 * succeeded, failed (out of retries, or 410), retrying (waiting for another attempt after a failed one).
 */
export function deliveriesPerHourQuery(agencyId: string, subscriptionId: string, from: Date, to: Date) {
  return sql<HourlyDeliveriesRow>`
    select floor(extract(epoch from d.created_at) / 3600)::int as hour,
           (count(*) filter (where d.status = 'succeeded'))::int as succeeded,
           (count(*) filter (where d.status = 'failed'))::int as failed,
           (count(*) filter (where d.status in ('pending', 'delivering') and d.last_error is not null))::int as retrying
      from webhook_deliveries d
     where d.subscription_id = ${subscriptionId}
       and d.agency_id = ${agencyId}
       and d.id >= ${idFloor('whdel', from)} and d.id < ${idFloor('whdel', to)}
       and not d.is_test
     group by 1
     order by 1`;
}

export async function deliveriesPerHour(db: Executor, agencyId: string, subscriptionId: string, from: Date, to: Date): Promise<HourlyDeliveriesRow[]> {
  return (await deliveriesPerHourQuery(agencyId, subscriptionId, from, to).execute(db)).rows;
}

/** Attempts of real deliveries started in [from, to), per hour: how many, and the median and 95th percentile of their duration. */
export function attemptLatencyPerHourQuery(agencyId: string, subscriptionId: string, from: Date, to: Date) {
  // Attempts are reached from each delivery by their (delivery_id, attempt_number) key. OFFSET 0
  // keeps the planner from flattening the lateral into a hash join, which reads every agency's
  // attempts of the range (all of webhook_delivery_attempts over 7 days; bench:stats).
  return sql<HourlyLatencyRow>`
    select floor(extract(epoch from a.started_at) / 3600)::int as hour,
           count(*)::int as attempts,
           percentile_cont(0.5) within group (order by a.duration_ms) as p50,
           percentile_cont(0.95) within group (order by a.duration_ms) as p95
      from webhook_deliveries d
     cross join lateral (
       select a.started_at, a.duration_ms
         from webhook_delivery_attempts a
        where a.delivery_id = d.id and a.started_at >= ${from} and a.started_at < ${to}
       offset 0
     ) a
     where d.subscription_id = ${subscriptionId}
       and d.agency_id = ${agencyId}
       and d.id >= ${idFloor('whdel', new Date(from.getTime() - RETRY_SPAN_MS))} and d.id < ${idFloor('whdel', to)}
       and not d.is_test
     group by 1
     order by 1`;
}

export async function attemptLatencyPerHour(db: Executor, agencyId: string, subscriptionId: string, from: Date, to: Date): Promise<HourlyLatencyRow[]> {
  return (await attemptLatencyPerHourQuery(agencyId, subscriptionId, from, to).execute(db)).rows;
}
