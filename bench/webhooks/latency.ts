// FARO's event → delivery latency (a steady offered load, then an idle receiver) and its memory
// while a backlog drains, on one database of their own.
import { appendEvent } from '../../src/domains/events/repository.ts';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { REVIEW, countSucceededAttempts, createAgencyWithSubscriptions, insertEvents } from './databases.ts';
import { createFaroEngine } from './faro.ts';
import { latencies, type Latencies } from './stats.ts';
import { sleep, type BenchContext } from './context.ts';

export interface LatencyOptions {
  subscriptions: number;
  /** Offered deliveries per second during the steady phase. */
  steadyRate: number;
  steadySeconds: number;
  idleEvents: number;
  idleGapMs: number;
  backlogEvents: number;
  /** The drain is sampled for at most this long, so a slow machine still finishes. */
  drainBudgetSeconds: number;
}

export interface LatencyResult {
  steady: Latencies;
  /** Deliveries per second offered: below the asked rate when the generator fell behind. */
  steadyRate: number;
  steadyAsked: number;
  idle: Latencies;
  drain: {
    backlog: number;
    drained: number;
    seconds: number;
    rss: { start: number; peak: number; end: number };
    heap: { start: number; peak: number; end: number };
  };
}

/** Raises one event through the domain path (appendEvent in a transaction); answers its id and when. */
async function raise(database: Database, agencyId: string): Promise<[string, number]> {
  return database.db.transaction().execute(async (trx) => {
    const at = new Date();
    const event = await appendEvent(trx, { agencyId, type: 'review.created', data: REVIEW, at });
    return [event.id, at.getTime()] as [string, number];
  });
}

export async function runLatencyAndDrain(ctx: BenchContext, options: LatencyOptions): Promise<LatencyResult> {
  const { receiver } = ctx;
  const fresh = await ctx.databases.create('latency');
  const generator = await openPostgres(fresh.url, 4); // the "API" side raising events has its own pool
  try {
    const { agencyId } = await createAgencyWithSubscriptions(fresh.database, {
      name: 'Bench agency', email: 'bench-webhooks@agency.test', secretKey: ctx.secretKey,
      urls: Array.from({ length: options.subscriptions }, (_, i) => `${receiver.url}/hook-${i}`),
    });
    const engine = createFaroEngine(ctx, fresh);
    await engine.start();
    await receiver.reset();

    // Steady: events raised at a constant rate, each fanned out to every subscription.
    const eventsPerSecond = options.steadyRate / options.subscriptions;
    const steadyRaised = new Map<string, number>();
    await receiver.record(true);
    const steadyStarted = Date.now();
    let offered = 0;
    while (Date.now() - steadyStarted < options.steadySeconds * 1000) {
      const due = Math.floor(((Date.now() - steadyStarted) / 1000) * eventsPerSecond);
      const batch: Promise<[string, number]>[] = [];
      // A generator that falls behind offers less (the rate reported is what it offered) rather
      // than queueing thousands of transactions on its pool.
      for (; offered < due && batch.length < 16; offered++) batch.push(raise(generator, agencyId));
      for (const [id, at] of await Promise.all(batch)) steadyRaised.set(id, at);
      await sleep(5);
    }
    await receiver.waitForArrivals(offered * options.subscriptions);
    const steady = latencies(steadyRaised, await receiver.dump(), options.subscriptions);
    const steadyRate = (offered * options.subscriptions) / options.steadySeconds;
    ctx.log(`steady ${steadyRate.toFixed(0)} deliveries/s: p50 ${steady.percentile(50)} ms, p99 ${steady.percentile(99)} ms over ${steady.arrived}`);

    // Idle: one event at a time, the queue empty in between.
    const idleRaised = new Map<string, number>();
    for (let i = 0; i < options.idleEvents; i++) {
      const [id, at] = await raise(generator, agencyId);
      idleRaised.set(id, at);
      await sleep(options.idleGapMs);
    }
    await receiver.waitForArrivals((offered + options.idleEvents) * options.subscriptions);
    const idle = latencies(idleRaised, await receiver.dump(), options.subscriptions);
    await receiver.record(false);
    ctx.log(`idle: p50 ${idle.percentile(50)} ms, p99 ${idle.percentile(99)} ms over ${idle.arrived}`);

    // Drain: a backlog fanned out while no worker runs, then one new worker drains it.
    await engine.worker.stop();
    await fresh.exec('TRUNCATE webhook_delivery_attempts, webhook_deliveries, events');
    await insertEvents(fresh.database, agencyId, options.backlogEvents);
    await engine.dispatcher.runOnce();
    await fresh.exec('VACUUM ANALYZE');
    const backlog = options.backlogEvents * options.subscriptions;
    const start = process.memoryUsage();
    const peak = { rss: start.rss, heap: start.heapUsed };
    const sample = () => {
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heap = Math.max(peak.heap, now.heapUsed);
    };
    const sampler = setInterval(sample, 250);
    await receiver.reset();
    const worker = engine.replaceWorker();
    const drainStarted = performance.now();
    await worker.start();
    let drained = await receiver.waitForArrivals(backlog, drainStarted + options.drainBudgetSeconds * 1000);
    if (drained >= backlog) while ((drained = await countSucceededAttempts(fresh.database)) < backlog) await sleep(20);
    const seconds = (performance.now() - drainStarted) / 1000;
    clearInterval(sampler);
    sample();
    await engine.stop();
    const end = process.memoryUsage();
    const mib = (bytes: number) => bytes / 2 ** 20;
    ctx.log(`backlog: ${drained} of ${backlog} drained at ${(drained / seconds).toFixed(0)}/s; RSS ${mib(start.rss).toFixed(0)} → peak ${mib(peak.rss).toFixed(0)} → ${mib(end.rss).toFixed(0)} MiB`);
    return {
      steady, steadyRate, steadyAsked: options.steadyRate, idle,
      drain: {
        backlog, drained, seconds,
        rss: { start: mib(start.rss), peak: mib(peak.rss), end: mib(end.rss) },
        heap: { start: mib(start.heapUsed), peak: mib(peak.heap), end: mib(end.heapUsed) },
      },
    };
  } finally {
    await generator.close();
    await fresh.drop();
  }
}
