/**
 * A subscription's delivery history per hour (the endpoint charts): deliveries by outcome, and
 * attempt latency percentiles. Each chart reads one index, index-only (migrations/0014):
 * webhook_deliveries_stats_idx holds a subscription's deliveries that have an outcome, by
 * creation time, with their status; webhook_delivery_attempts_stats_idx its attempts, by start
 * time, with their duration (attempts carry their delivery's subscription for it). Each hour of
 * the range is aggregated from its own range of the index (a lateral subquery per hour), so
 * nothing sorts the whole range before grouping and a percentile sorts one hour's durations.
 * Reading the deliveries and then each one's attempts, as before, visited every delivery row of
 * the subscription and an attempt row per delivery (bench:stats, docs/benchmarks.md).
 *
 * Not an hourly rollup: a delivery is counted by its state now, which changes after its hour is
 * over (a retry succeeds hours later), so every rollup row would be rewritten on the delivery
 * engine's path or lag behind it; and p50/p95 are exact, which counters cannot give.
 *
 * Tenant scope is the subscription's agency: a delivery and its attempts belong to the agency of
 * their subscription, so the subscription row is the one read with agency_id. Hours are whole
 * hours since the Unix epoch, so buckets do not depend on the session's time zone.
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/types.ts';

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

/** The hours of [from, to), both whole hours: one row each, `start` its first instant. */
const hoursOf = (from: Date, to: Date) =>
  sql`generate_series(${from}::timestamptz, ${to}::timestamptz - interval '1 hour', interval '1 hour') as h (start)`;

/**
 * Real (not test) deliveries created in [from, to) (whole hours), per hour of creation, by their
 * state now: succeeded, failed (out of retries, or 410), retrying (waiting for another attempt
 * after a failed one). Every hour of the range has a row.
 */
export function deliveriesPerHourQuery(agencyId: string, subscriptionId: string, from: Date, to: Date) {
  // The last condition is the index's predicate, which lets the scan skip the table; with it,
  // pending or delivering means retrying (with a last error).
  return sql<HourlyDeliveriesRow>`
    select (extract(epoch from h.start) / 3600)::int as hour, c.succeeded, c.failed, c.retrying
      from webhook_subscriptions s
     cross join ${hoursOf(from, to)}
     cross join lateral (
       select (count(*) filter (where d.status = 'succeeded'))::int as succeeded,
              (count(*) filter (where d.status = 'failed'))::int as failed,
              (count(*) filter (where d.status in ('pending', 'delivering')))::int as retrying
         from webhook_deliveries d
        where d.subscription_id = s.id
          and d.created_at >= h.start and d.created_at < h.start + interval '1 hour'
          and not d.is_test
          and (d.status in ('succeeded', 'failed') or (d.status in ('pending', 'delivering') and d.last_error is not null))
     ) c
     where s.id = ${subscriptionId} and s.agency_id = ${agencyId}
     order by 1`;
}

export async function deliveriesPerHour(db: Executor, agencyId: string, subscriptionId: string, from: Date, to: Date): Promise<HourlyDeliveriesRow[]> {
  return (await deliveriesPerHourQuery(agencyId, subscriptionId, from, to).execute(db)).rows;
}

/**
 * Attempts of real deliveries started in [from, to) (whole hours), per hour: how many, and the
 * median and 95th percentile of their duration (null for an hour without any). Every hour of
 * the range has a row.
 */
export function attemptLatencyPerHourQuery(agencyId: string, subscriptionId: string, from: Date, to: Date) {
  return sql<HourlyLatencyRow>`
    select (extract(epoch from h.start) / 3600)::int as hour, l.attempts, l.p50, l.p95
      from webhook_subscriptions s
     cross join ${hoursOf(from, to)}
     cross join lateral (
       select count(*)::int as attempts,
              percentile_cont(0.5) within group (order by a.duration_ms) as p50,
              percentile_cont(0.95) within group (order by a.duration_ms) as p95
         from webhook_delivery_attempts a
        where a.subscription_id = s.id
          and a.started_at >= h.start and a.started_at < h.start + interval '1 hour'
          and not a.is_test
     ) l
     where s.id = ${subscriptionId} and s.agency_id = ${agencyId}
     order by 1`;
}

export async function attemptLatencyPerHour(db: Executor, agencyId: string, subscriptionId: string, from: Date, to: Date): Promise<HourlyLatencyRow[]> {
  return (await attemptLatencyPerHourQuery(agencyId, subscriptionId, from, to).execute(db)).rows;
}
