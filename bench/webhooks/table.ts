// The table and notes `npm run bench:webhooks` prints and records in docs/benchmarks.md.
import type { Config } from '../../src/config.ts';
import type { RoundResult } from './context.ts';
import type { LatencyResult } from './latency.ts';
import type { NoisyOptions, NoisyResult } from './noisy-neighbour.ts';
import type { PgBossSettings } from './pgboss-peer.ts';
import { formatMs, mean } from './stats.ts';

export interface ReportInput {
  postgresVersion: string;
  config: Config['webhooks'];
  subscriptions: number;
  events: number;
  workerConcurrency: number;
  ceilings: number[];
  ceilingWide: number;
  faro: RoundResult[];
  pgboss: RoundResult[];
  pgbossSettings: PgBossSettings;
  latency: LatencyResult | null;
  steadySeconds: number;
  idleGapMs: number;
  noisy: NoisyResult | null;
  noisyOptions: NoisyOptions;
}

const n = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 0 });
const rates = (rounds: RoundResult[]) => rounds.map((r) => n(r.rate)).join(' / ');
const cpu = (rounds: RoundResult[], pick: (r: RoundResult) => number | null) => {
  const values = rounds.map(pick);
  return values.every((v): v is number => v !== null) ? `${mean(values).toFixed(3)} ms` : 'not measured';
};

function throughputRows(input: ReportInput): string[] {
  const { faro, pgboss, ceilings, events, subscriptions, workerConcurrency } = input;
  if (faro.length === 0) return [];
  const faroRate = mean(faro.map((r) => r.rate));
  const bossRate = mean(pgboss.map((r) => r.rate));
  const ceiling = mean(ceilings);
  const deliveries = (events * subscriptions).toLocaleString('en');
  const { batchSize, localConcurrency, transactional } = input.pgbossSettings;
  const bossSetup = `batches of ${batchSize}, ${localConcurrency} fetch loops${transactional ? ', attempt rows in the completing transaction' : ''}`;
  return [
    `| ceiling: signed POSTs, undici → local receiver, no database, ${workerConcurrency} concurrent; measured before, between and after the rounds | ${ceilings.map(n).join(' / ')} req/s (mean ${n(ceiling)}) | |`,
    `| ceiling at ${input.config.maxInFlight} concurrent | ${n(input.ceilingWide)} req/s | |`,
    `| FARO: ${events.toLocaleString('en')} events × ${subscriptions} subscriptions, fan-out + delivery (${deliveries} deliveries), rounds | ${rates(faro)} deliveries/s (mean ${n(faroRate)}) | |`,
    `| pg-boss peer, same load, rounds alternating with FARO's (${bossSetup}) | ${rates(pgboss)} deliveries/s (mean ${n(bossRate)}) | |`,
    `| **FARO / pg-boss** | **${(faroRate / bossRate).toFixed(2)}×** | ≥ 1.5× |`,
    `| **FARO / mean ceiling** (same concurrency) | **${((faroRate / ceiling) * 100).toFixed(1)} %** | ≥ 40 % (goal 50 %) |`,
    `| Postgres CPU per delivery: FARO / pg-boss | ${cpu(faro, (r) => r.postgresCpuMsPerDelivery)} / ${cpu(pgboss, (r) => r.postgresCpuMsPerDelivery)} | |`,
    `| worker process CPU per delivery (fan-out, sending, recording): FARO / pg-boss | ${cpu(faro, (r) => r.nodeCpuMsPerDelivery)} / ${cpu(pgboss, (r) => r.nodeCpuMsPerDelivery)} | |`,
  ];
}

function latencyRows(input: ReportInput): string[] {
  const { latency, steadySeconds, idleGapMs } = input;
  if (!latency) return [];
  const { steady, idle, drain } = latency;
  const backlog = drain.backlog.toLocaleString('en');
  const drainedAll = drain.drained >= drain.backlog;
  const triple = (t: { start: number; peak: number; end: number }) => `${n(t.start)} / ${n(t.peak)} / ${n(t.end)} MiB`;
  return [
    `| steady offer ${n(latency.steadyRate)} deliveries/s for ${steadySeconds} s (asked: ${n(latency.steadyAsked)}): event → delivery p50 | ${formatMs(steady.percentile(50))} | |`,
    `| … p99 (${steady.sorted.length.toLocaleString('en')} deliveries) | ${formatMs(steady.percentile(99))} | < 1,000 ms |`,
    `| idle receiver: ${idle.sorted.length / input.subscriptions} single events ${idleGapMs} ms apart, event → delivery p50 | ${formatMs(idle.percentile(50))} | ≤ 25 ms |`,
    `| … p99 (${idle.sorted.length.toLocaleString('en')} deliveries) | ${formatMs(idle.percentile(99))} | |`,
    `| drain of a ${backlog}-delivery backlog: ${drainedAll ? 'all' : `${drain.drained.toLocaleString('en')} (stopped at the budget)`} in ${drain.seconds.toFixed(1)} s | ${n(drain.drained / drain.seconds)} deliveries/s | |`,
    `| RSS while draining: start / peak / end | ${triple(drain.rss)} | flat |`,
    `| JS heap used while draining: start / peak / end | ${triple(drain.heap)} | flat |`,
  ];
}

function noisyRows({ noisy, noisyOptions: o }: ReportInput): string[] {
  if (!noisy) return [];
  const budget = o.budgetSeconds;
  const series = `${o.quietEvents} events ${o.gapMs} ms apart`;
  const arrived = (got: number) => (got < o.quietEvents ? `, ${got} of ${o.quietEvents} arrived within ${budget} s` : '');
  return [
    `| noisy neighbour, agency B alone (1 subscription, ${series}): event → delivery p50 / p99 | ${formatMs(noisy.alone.percentile(50), budget)} / ${formatMs(noisy.alone.percentile(99), budget)}${arrived(noisy.alone.arrived)} | |`,
    `| … B beside agency A (${o.noisySubscriptions} subscriptions whose endpoints never answer, ${o.noisyEvents * o.noisySubscriptions} deliveries; A held ${noisy.hangingAtStart} requests open when B began): p50 / p99 | ${formatMs(noisy.withNoisy.percentile(50), budget)} / ${formatMs(noisy.withNoisy.percentile(99), budget)}${arrived(noisy.withNoisy.arrived)} | near B alone |`,
  ];
}

export function renderReport(input: ReportInput): string {
  const { config } = input;
  const table = [
    '| measure | result | target |',
    '|---|---:|---|',
    ...throughputRows(input),
    ...latencyRows(input),
    ...noisyRows(input),
  ].join('\n');
  const notes =
    `PostgreSQL ${input.postgresVersion} on the same machine (default settings, fsync on), every round and phase on a fresh database; ` +
    `receivers in their own process, the fast one answering 204. Worker defaults: ${config.maxInFlight} in flight, ` +
    `${config.maxInFlightPerSubscription} per subscription (so at most ${input.workerConcurrency} in flight over ${input.subscriptions} subscriptions), ` +
    `attempt timeout ${config.timeoutMs.toLocaleString('en')} ms; the ceiling is measured at that concurrency. ` +
    'The pg-boss peer (bench/webhooks/pgboss-peer.ts) fans the same outbox out into one job per delivery, signs and sends with FARO\'s signer and sender, ' +
    'writes one attempt row per delivery (webhook_delivery_attempts\' shape) and completes the job. ' +
    'A round ends when the receiver has taken every POST and the database holds every attempt (asked only then). ' +
    'Postgres CPU is the user + system time of the round database\'s server processes (client backends and autovacuum), read from /proc every 250 ms; ' +
    'shared processes (WAL writer, checkpointer) are left out. ' +
    'Latency is from the moment the event is written (before its commit) to its arrival at the receiver.';
  return `${notes}\n\n${table}\n`;
}
