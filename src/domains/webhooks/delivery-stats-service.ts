import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { notFound } from '../../kit/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { attemptLatencyPerHour, deliveriesPerHour } from './delivery-stats-repository.ts';
import { findSubscription } from './subscriptions-repository.ts';
import type { DeliveryStats, StatsRange } from './stats-schemas.ts';

const HOUR_MS = 3600_000;
const RANGE_HOURS: Record<StatsRange, number> = { '24h': 24, '7d': 168 };

/** The endpoint charts: a subscription's deliveries and attempt latency per hour, every hour of the range present. */
export function createDeliveryStatsService(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps;
  return {
    async hourly(agencyId: string, subscriptionId: string, range: StatsRange): Promise<DeliveryStats> {
      if (!(await findSubscription(db, agencyId, subscriptionId))) throw notFound('webhook subscription');
      const hours = RANGE_HOURS[range];
      // The current hour is the last bucket, partly elapsed.
      const lastHour = Math.floor(clock.now().getTime() / HOUR_MS);
      const firstHour = lastHour - hours + 1;
      const from = new Date(firstHour * HOUR_MS);
      const to = new Date((lastHour + 1) * HOUR_MS);
      const [deliveries, latency] = await Promise.all([
        deliveriesPerHour(db, agencyId, subscriptionId, from, to),
        attemptLatencyPerHour(db, agencyId, subscriptionId, from, to),
      ]);
      const deliveriesAt = new Map(deliveries.map((row) => [Number(row.hour), row]));
      const latencyAt = new Map(latency.map((row) => [Number(row.hour), row]));
      const round = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : Math.round(Number(ms)));
      const data = Array.from({ length: hours }, (_, i) => {
        const hour = firstHour + i;
        const counts = deliveriesAt.get(hour);
        const timing = latencyAt.get(hour);
        return {
          hour_start: new Date(hour * HOUR_MS).toISOString(),
          succeeded: counts?.succeeded ?? 0,
          failed: counts?.failed ?? 0,
          retrying: counts?.retrying ?? 0,
          attempts: timing?.attempts ?? 0,
          latency_p50_ms: round(timing?.p50),
          latency_p95_ms: round(timing?.p95),
        };
      });
      return { subscription_id: subscriptionId, range, bucket_seconds: HOUR_MS / 1000, from: from.toISOString(), to: to.toISOString(), data };
    },
  };
}

export type DeliveryStatsService = ReturnType<typeof createDeliveryStatsService>;
