/**
 * The gauges read from the database at scrape time: queue depth and lag, outbox lag, and whether
 * the database answered at all. One query (queue-stats-repository.ts) feeds them all, and its
 * answer is kept for a few seconds, so Prometheus servers scraping every instance often cost the
 * database one small read per interval per instance, not one per gauge per scrape.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Executor } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import { readQueueStats, type QueueStats } from './queue-stats-repository.ts';

/** How long one read of the queue serves scrapes. */
export const QUEUE_STATS_TTL_MS = 5_000;
/** A read that takes longer counts as the database not answering (and holds no scrape longer). */
export const QUEUE_STATS_TIMEOUT_MS = 2_000;

type Reading = { ok: true; stats: QueueStats } | { ok: false };

export interface QueueStatsCache {
  read(): Promise<Reading>;
  /** Reads made so far (what the cache saves is visible in tests). */
  readonly reads: number;
}

/** The last reading, kept for `ttlMs` on the injected clock; concurrent scrapes share one read. */
export function createQueueStatsCache(deps: { db: Executor; clock: Clock; ttlMs?: number; timeoutMs?: number }): QueueStatsCache {
  const ttlMs = deps.ttlMs ?? QUEUE_STATS_TTL_MS;
  const timeoutMs = deps.timeoutMs ?? QUEUE_STATS_TIMEOUT_MS;
  let cached: { at: number; reading: Promise<Reading> } | undefined;
  let reads = 0;

  async function fresh(): Promise<Reading> {
    reads++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Reading>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false }), timeoutMs);
      timer.unref();
    });
    const query = readQueueStats(deps.db).then(
      (stats): Reading => ({ ok: true, stats }),
      (): Reading => ({ ok: false }),
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get reads() {
      return reads;
    },
    read() {
      const now = deps.clock.now().getTime();
      if (!cached || now - cached.at >= ttlMs || now < cached.at) cached = { at: now, reading: fresh() };
      return cached.reading;
    },
  };
}

const secondsSince = (at: Date | null, now: Date) => (at === null ? 0 : Math.max(0, (now.getTime() - at.getTime()) / 1000));

export function registerQueueGauges(registry: Registry, cache: QueueStatsCache, clock: Clock): void {
  const databaseUp = new Gauge({
    name: 'faro_database_up',
    help: 'Whether the database answered the last queue read (1) or failed or took over 2 s (0).',
    registers: [registry],
    collect,
  });
  const depth = new Gauge({
    name: 'faro_webhook_queue_depth',
    help: 'Webhook deliveries waiting, by status: pending (claimable now), scheduled (waiting for a retry), delivering (leased).',
    labelNames: ['status'] as const,
    registers: [registry],
    collect,
  });
  const queueLag = new Gauge({
    name: 'faro_webhook_queue_lag_seconds',
    help: 'How long past its due time the most overdue pending delivery is (0 when none is overdue).',
    registers: [registry],
    collect,
  });
  const outboxLag = new Gauge({
    name: 'faro_outbox_lag_seconds',
    help: 'Age of the oldest event not yet fanned out into deliveries (0 when none waits).',
    registers: [registry],
    collect,
  });

  // prom-client calls each gauge's collect before it serialises the registry; the first one of a
  // scrape reads (or takes the cached reading), the others take the same reading.
  async function collect(): Promise<void> {
    const reading = await cache.read();
    databaseUp.set(reading.ok ? 1 : 0);
    if (!reading.ok) {
      // Unknown is not zero: no depth samples, and NaN lags (an unlabelled gauge always has a
      // sample), rather than reassuring zeros.
      depth.reset();
      queueLag.set(Number.NaN);
      outboxLag.set(Number.NaN);
      return;
    }
    const { stats } = reading;
    const now = clock.now();
    depth.set({ status: 'pending' }, stats.pending);
    depth.set({ status: 'scheduled' }, stats.scheduled);
    depth.set({ status: 'delivering' }, stats.delivering);
    queueLag.set(secondsSince(stats.oldestDueAt, now));
    outboxLag.set(secondsSince(stats.oldestUndispatchedAt, now));
  }
}
