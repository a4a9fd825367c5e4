// What Prometheus metrics cost webhook delivery: throughput rounds of FARO's engine (as
// runFaroRound in faro.ts: events fanned out to subscriptions and delivered to the local
// receiver) with metrics off and on, alternating which goes first. "On" counts every attempt and
// reads the registry every 5 s while the round runs, as a scrape would (the queue read included).
import { systemClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import type { ClaimedDelivery } from '../../src/domains/webhooks/delivery/queue-types.ts';
import type { SendOutcome } from '../../src/domains/webhooks/delivery/sender.ts';
import { createServiceMetrics } from '../../src/observability/metrics.ts';
import { countSucceededAttempts, createAgencyWithSubscriptions, insertEvents } from './databases.ts';
import { createFaroEngine } from './faro.ts';
import { timeRound, type BenchContext, type RoundResult } from './context.ts';

const SCRAPE_INTERVAL_MS = 5_000;
const TARGET_RATIO = 0.97;

export interface MetricsCostResult {
  /** CPU µs per attempt of the observer alone (counter, two histograms), timed in a loop. */
  observerUs: number;
  off: RoundResult[];
  on: RoundResult[];
  scrapes: number;
  events: number;
  subscriptions: number;
}

async function round(ctx: BenchContext, events: number, subscriptions: number, metricsOn: boolean): Promise<{ result: RoundResult; scrapes: number }> {
  const fresh = await ctx.databases.create(metricsOn ? 'metrics_on' : 'metrics_off');
  try {
    const { agencyId } = await createAgencyWithSubscriptions(fresh.database, {
      name: 'Bench agency', email: 'bench-webhooks@agency.test', secretKey: ctx.secretKey,
      urls: Array.from({ length: subscriptions }, (_, i) => `${ctx.receiver.url}/hook-${i}`),
    });
    await insertEvents(fresh.database, agencyId, events);
    await fresh.exec('ANALYZE');
    const metrics = metricsOn ? createServiceMetrics({ database: fresh.database, clock: systemClock, limiter: undefined }) : undefined;
    const engine = createFaroEngine(ctx, fresh, metrics?.webhookAttempt);
    let scrapes = 0;
    const scrape = () => void metrics?.registry.metrics().then(() => scrapes++);
    const timer = metrics ? setInterval(scrape, SCRAPE_INTERVAL_MS) : undefined;
    try {
      const result = await timeRound(ctx, fresh, events * subscriptions, async () => {
        scrape();
        await engine.start();
      }, () => countSucceededAttempts(fresh.database));
      return { result, scrapes };
    } finally {
      clearInterval(timer);
      await engine.stop();
    }
  } finally {
    await fresh.drop();
  }
}

/** The attempt observer alone, timed over realistic attempts (a third of them failing). */
async function observerUs(ctx: BenchContext): Promise<number> {
  const fresh = await ctx.databases.create('metrics_observer');
  try {
    const metrics = createServiceMetrics({ database: fresh.database, clock: systemClock, limiter: undefined });
    const delivery = { is_test: false, event_id: newId('evt') } as ClaimedDelivery;
    const outcomes: SendOutcome[] = [200, 500, 200].map((status) => ({
      ok: status === 200, statusCode: status, durationMs: 12, responseHeaders: null, responseBodyExcerpt: null,
      retryAfterSeconds: null, errorKind: status === 200 ? null : 'http_status', errorMessage: null,
    }));
    const calls = 300_000;
    const run = () => {
      const started = process.cpuUsage();
      const finishedAt = new Date();
      for (let i = 0; i < calls; i++) metrics.webhookAttempt({ delivery, outcome: outcomes[i % 3]!, finishedAt });
      const used = process.cpuUsage(started);
      return (used.user + used.system) / calls;
    };
    run();
    return median([run(), run(), run()]);
  } finally {
    await fresh.drop();
  }
}

export async function runMetricsCost(ctx: BenchContext, options: { events: number; subscriptions: number; rounds: number }): Promise<MetricsCostResult> {
  const result: MetricsCostResult = { observerUs: await observerUs(ctx), off: [], on: [], scrapes: 0, events: options.events, subscriptions: options.subscriptions };
  await round(ctx, Math.min(1000, options.events), options.subscriptions, true); // warm-up
  for (let i = 0; i < options.rounds; i++) {
    for (const metricsOn of i % 2 === 0 ? [false, true] : [true, false]) {
      const { result: r, scrapes } = await round(ctx, options.events, options.subscriptions, metricsOn);
      (metricsOn ? result.on : result.off).push(r);
      result.scrapes += scrapes;
      ctx.log(`metrics ${metricsOn ? 'on ' : 'off'}: ${r.rate.toFixed(0)} deliveries/s (${r.seconds.toFixed(1)} s), worker process ${r.nodeCpuMsPerDelivery.toFixed(3)} ms CPU per delivery`);
    }
  }
  return result;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function renderMetricsCost(r: MetricsCostResult): string {
  const mean = (rounds: RoundResult[], pick: (x: RoundResult) => number) => rounds.reduce((sum, x) => sum + pick(x), 0) / rounds.length;
  const ratio = median(r.on.map((on, i) => on.rate / r.off[i]!.rate));
  const cpu = median(r.on.map((on, i) => on.nodeCpuMsPerDelivery / r.off[i]!.nodeCpuMsPerDelivery));
  const row = (name: string, rounds: RoundResult[]) =>
    `| ${name} | ${mean(rounds, (x) => x.rate).toFixed(0)} | ${mean(rounds, (x) => x.nodeCpuMsPerDelivery).toFixed(3)} | ${rounds.every((x) => x.postgresCpuMsPerDelivery !== null) ? mean(rounds, (x) => x.postgresCpuMsPerDelivery!).toFixed(3) : 'n/a'} |`;
  return [
    '### Metrics cost',
    '',
    `${r.events.toLocaleString('en')} events × ${r.subscriptions} subscriptions per round, ${r.off.length} rounds per variant, alternating which goes first; ` +
      `metrics on = every attempt counted and the registry read every ${SCRAPE_INTERVAL_MS / 1000} s during the round (${r.scrapes} reads in all, each with the queue query). ` +
      'Rows are means; ratios the median of the within-round ratios.',
    '',
    '| variant | deliveries/s | worker CPU ms/delivery | Postgres CPU ms/delivery |',
    '|---|---:|---:|---:|',
    row('metrics off (default)', r.off),
    row('metrics on', r.on),
    '',
    `Throughput on / off: **${ratio.toFixed(3)}** (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'not met'}); worker CPU per delivery on / off: ${cpu.toFixed(3)}. ` +
      `Per round (on / off): ${r.on.map((on, i) => (on.rate / r.off[i]!.rate).toFixed(3)).join(', ')}.`,
    '',
    `The observer alone (the attempts counter and the two histograms), timed in a loop: **${r.observerUs.toFixed(2)} µs CPU per attempt**, ` +
      `${((100 * r.observerUs) / (1000 * r.off.reduce((sum, x) => sum + x.nodeCpuMsPerDelivery, 0) / r.off.length)).toFixed(2)} % of the worker CPU per delivery with metrics off.`,
  ].join('\n');
}
