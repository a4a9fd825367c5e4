// FARO's delivery engine as `startBackgroundJobs` runs it: one dispatcher and one worker in this
// process, with the process's one delivery runtime (sender + executor).
import { systemClock } from '../../src/lib/clock.ts';
import { createDeliveryRuntime } from '../../src/domains/webhooks/delivery/runtime.ts';
import type { AttemptObserver } from '../../src/domains/webhooks/delivery/executor.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import type { FreshDatabase } from './databases.ts';
import { countSucceededAttempts, createAgencyWithSubscriptions, insertEvents } from './databases.ts';
import { timeRound, type BenchContext, type RoundResult } from './context.ts';

/** `onAttempt`: the metrics' observer, when the round measures FARO with metrics on (metrics-cost.ts). */
export function createFaroEngine(ctx: BenchContext, fresh: FreshDatabase, onAttempt?: AttemptObserver) {
  const { db } = fresh.database;
  const deps = { db, database: fresh.database, clock: systemClock, config: ctx.config, logger: ctx.logger };
  const runtime = createDeliveryRuntime({ ...deps, onAttempt });
  const dispatcher = createDispatcher(deps);
  const newWorker = () => createDeliveryWorker({ ...deps, executor: runtime.executor });
  let worker = newWorker();
  return {
    dispatcher,
    get worker() {
      return worker;
    },
    /** A new worker in place of the stopped one (the drain measures a worker from its start). */
    replaceWorker() {
      worker = newWorker();
      return worker;
    },
    async start() {
      await dispatcher.start();
      await worker.start();
    },
    async stop() {
      await worker.stop();
      await dispatcher.stop();
      await runtime.close();
    },
  };
}

/** Throughput: `events` committed events, each fanned out to `subscriptions` subscriptions and delivered. */
export async function runFaroRound(ctx: BenchContext, events: number, subscriptions: number): Promise<RoundResult> {
  const fresh = await ctx.databases.create('faro');
  try {
    const { agencyId } = await createAgencyWithSubscriptions(fresh.database, {
      name: 'Bench agency', email: 'bench-webhooks@agency.test', secretKey: ctx.secretKey,
      urls: Array.from({ length: subscriptions }, (_, i) => `${ctx.receiver.url}/hook-${i}`),
    });
    await insertEvents(fresh.database, agencyId, events);
    await fresh.exec('ANALYZE');
    const engine = createFaroEngine(ctx, fresh);
    try {
      return await timeRound(ctx, fresh, events * subscriptions, () => engine.start(), () => countSucceededAttempts(fresh.database));
    } finally {
      await engine.stop();
    }
  } finally {
    await fresh.drop();
  }
}
