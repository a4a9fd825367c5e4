// The noisy neighbour: agency A's endpoints never answer (the hanging receiver) and A has many
// deliveries due; agency B has one subscription to the fast receiver. B's event → delivery latency
// is measured alone, then while A's deliveries hold whatever slots the worker gives them. The
// worker keeps its configured attempt timeout (FARO_WEBHOOK_TIMEOUT_MS), so a hanging attempt holds
// its slot as long as it would in production.
import { openPostgres } from '../../src/db/database.ts';
import { appendEvent } from '../../src/domains/events/repository.ts';
import { REVIEW, createAgencyWithSubscriptions } from './databases.ts';
import { createFaroEngine } from './faro.ts';
import { latencies, type Latencies } from './stats.ts';
import { sleep, type BenchContext } from './context.ts';

export interface NoisyOptions {
  noisySubscriptions: number;
  noisyEvents: number;
  quietEvents: number;
  gapMs: number;
  /** How long B's deliveries are waited for once its last event is raised; later ones count as never. */
  budgetSeconds: number;
}

export interface NoisyResult {
  alone: Latencies;
  withNoisy: Latencies;
  /** Requests A held open at the hanging receiver when B's first event was raised. */
  hangingAtStart: number;
  /** A's requests the hanging receiver took in all. */
  hangingTotal: number;
}

export async function runNoisyNeighbour(ctx: BenchContext, options: NoisyOptions): Promise<NoisyResult> {
  const { receiver } = ctx;
  const fresh = await ctx.databases.create('noisy');
  const generator = await openPostgres(fresh.url, 4);
  const raise = (agencyId: string) => generator.db.transaction().execute(async (trx) => {
    const at = new Date();
    const event = await appendEvent(trx, { agencyId, type: 'review.created', data: REVIEW, at });
    return [event.id, at.getTime()] as const;
  });
  try {
    const noisy = await createAgencyWithSubscriptions(fresh.database, {
      name: 'Noisy agency', email: 'bench-noisy@agency.test', secretKey: ctx.secretKey,
      urls: Array.from({ length: options.noisySubscriptions }, (_, i) => `${ctx.receiver.hangingUrl}/hang-${i}`),
    });
    const quiet = await createAgencyWithSubscriptions(fresh.database, {
      name: 'Quiet agency', email: 'bench-quiet@agency.test', secretKey: ctx.secretKey, urls: [`${receiver.url}/quiet`],
    });
    const engine = createFaroEngine(ctx, fresh);
    await engine.start();

    /** B's events, `gapMs` apart; answers their latencies once all arrived or the budget ran out. */
    async function quietSeries(): Promise<Latencies> {
      await receiver.reset();
      await receiver.record(true);
      const raised = new Map<string, number>();
      for (let i = 0; i < options.quietEvents; i++) {
        const [id, at] = await raise(quiet.agencyId);
        raised.set(id, at);
        await sleep(options.gapMs);
      }
      await receiver.waitForArrivals(options.quietEvents, performance.now() + options.budgetSeconds * 1000);
      const result = latencies(raised, await receiver.dump());
      await receiver.record(false);
      return result;
    }

    const alone = await quietSeries();
    ctx.log(`noisy neighbour, B alone: p50 ${alone.percentile(50)} ms, p99 ${alone.percentile(99)} ms`);

    for (let i = 0; i < options.noisyEvents; i++) await raise(noisy.agencyId);
    // Let A's deliveries take the slots they will get: until the count of open requests settles.
    const settleBy = performance.now() + 5_000;
    let open = -1;
    for (let stableSince = performance.now(); performance.now() < settleBy && performance.now() - stableSince < 1_000;) {
      await sleep(100);
      const now = (await receiver.hanging()).open;
      if (now !== open) [open, stableSince] = [now, performance.now()];
    }
    ctx.log(`noisy neighbour: A holds ${open} requests open`);
    const withNoisy = await quietSeries();
    ctx.log(`noisy neighbour, B beside A: p50 ${withNoisy.percentile(50)} ms, p99 ${withNoisy.percentile(99)} ms, ${withNoisy.arrived} of ${options.quietEvents} arrived`);
    const hangingTotal = (await receiver.hanging()).total;
    await engine.stop();
    return { alone, withNoisy, hangingAtStart: open, hangingTotal };
  } finally {
    await generator.close();
    await fresh.drop();
  }
}
