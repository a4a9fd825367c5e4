// `npm run bench:webhooks`: webhook delivery on PostgreSQL (BENCH_DATABASE_URL; every phase gets a
// fresh database of its own, dropped after). In one run:
// - the ceiling: signed POSTs from undici to the local receiver, no database;
// - throughput: 10,000 events fanned out to 3 subscriptions = 30,000 deliveries, FARO and a pg-boss
//   pipeline doing the same work (bench/webhooks/pgboss-peer.ts) in alternating rounds, each with
//   the Postgres CPU it cost;
// - event → delivery latency at a steady half of FARO's throughput, then at an idle receiver;
// - memory while a 100,000-delivery backlog drains;
// - the noisy neighbour: one agency's latency alone and beside an agency whose endpoints hang;
// - what Prometheus metrics cost delivery: throughput rounds with metrics on and off, alternating.
// Prints a table and records it in docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/lib/ids.ts';
import { createWebhookSender } from '../src/domains/webhooks/delivery/sender.ts';
import { buildWebhookHeaders } from '../src/domains/webhooks/delivery/signer.ts';
import { generateWebhookSecret } from '../src/domains/webhooks/secret-box.ts';
import { writeBenchmarkSection } from './report.ts';
import { REVIEW, openBenchDatabases } from './webhooks/databases.ts';
import { startReceiver } from './webhooks/receiver-client.ts';
import { runFaroRound } from './webhooks/faro.ts';
import { runPgBossRound } from './webhooks/pgboss-peer.ts';
import { runLatencyAndDrain } from './webhooks/latency.ts';
import { runNoisyNeighbour } from './webhooks/noisy-neighbour.ts';
import { renderReport } from './webhooks/table.ts';
import { renderMetricsCost, runMetricsCost } from './webhooks/metrics-cost.ts';
import type { BenchContext, RoundResult } from './webhooks/context.ts';

const env = process.env;
const baseUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SUBSCRIPTIONS = 3;
// The defaults are the benchmark; the variables only make a quicker run possible while developing.
const EVENTS = Number(env.BENCH_EVENTS ?? 10_000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const PGBOSS = {
  // The fastest of the settings tried with 30 in flight (30 × 1, 15 × 2, 10 × 3, 5 × 6, 3 × 10, 1 × 30).
  batchSize: Number(env.BENCH_PGBOSS_BATCH ?? 15),
  localConcurrency: Number(env.BENCH_PGBOSS_CONCURRENCY ?? 2),
  transactional: (env.BENCH_PGBOSS_TRANSACTIONAL ?? '1') === '1',
};
const STEADY_S = Number(env.BENCH_STEADY_S ?? 30);
const IDLE_EVENTS = Number(env.BENCH_IDLE_EVENTS ?? 50);
const BACKLOG_EVENTS = Math.ceil(Number(env.BENCH_BACKLOG ?? 100_000) / SUBSCRIPTIONS);
const DRAIN_BUDGET_S = Number(env.BENCH_DRAIN_BUDGET_S ?? 150);
const NOISY = {
  noisySubscriptions: 20, noisyEvents: 20, quietEvents: Number(env.BENCH_NOISY_EVENTS ?? 50), gapMs: 200,
  budgetSeconds: Number(env.BENCH_NOISY_BUDGET_S ?? 150),
};
const SKIP = new Set((env.BENCH_SKIP ?? '').split(',').filter(Boolean)); // throughput, latency, noisy, metrics
const METRICS_EVENTS = Number(env.BENCH_METRICS_EVENTS ?? 5_000);
const METRICS_ROUNDS = Number(env.BENCH_METRICS_ROUNDS ?? 3);
const CEILING_S = 5;
const IDLE_GAP_MS = 200;

const logger = pino({ level: env.BENCH_LOG_LEVEL ?? 'warn' }) as FastifyBaseLogger;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const receiver = await startReceiver();
const databases = await openBenchDatabases(baseUrl);
const secretKey = randomBytes(32).toString('base64');
// The worker's defaults, attempt timeout included; only private targets are allowed (the receivers are local).
const config = loadConfig({ DATABASE_URL: baseUrl, FARO_SECRET_KEY: secretKey, FARO_WEBHOOK_ALLOW_PRIVATE: '1', LOG_LEVEL: 'silent' });
const { maxInFlight, maxInFlightPerSubscription } = config.webhooks;
const workerConcurrency = Math.min(maxInFlight, SUBSCRIPTIONS * maxInFlightPerSubscription);
const ctx: BenchContext = { databases, receiver, config, logger, secretKey, log };

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void databases.dropAll().finally(() => process.exit(130)));
}

/** Signed POSTs as fast as `concurrency` lanes go, no database: what the HTTP side alone allows. */
async function ceiling(concurrency: number, seconds: number): Promise<number> {
  const sender = createWebhookSender({ allowPrivate: true });
  const secrets = [generateWebhookSecret()];
  const body = JSON.stringify({ id: newId('evt'), type: 'review.created', timestamp: new Date().toISOString(), agency_id: 'agy_bench', data: REVIEW });
  let sent = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, lane) => {
    while (performance.now() < until) {
      const headers = { ...buildWebhookHeaders({ id: newId('evt'), timestamp: Math.floor(Date.now() / 1000), body, secrets }) };
      const outcome = await sender.send({ url: `${receiver.url}/hook-${lane % SUBSCRIPTIONS}`, headers, body });
      if (!outcome.ok) throw new Error(`ceiling: ${outcome.errorKind} ${outcome.errorMessage}`);
      sent++;
    }
  }));
  const rate = sent / ((performance.now() - started) / 1000);
  await sender.close();
  return rate;
}

const describe = (name: string, r: RoundResult) =>
  `${name}: ${r.rate.toFixed(0)} deliveries/s (${r.seconds.toFixed(1)} s), Postgres ${r.postgresCpuMsPerDelivery?.toFixed(3) ?? '?'} ms` +
  ` and worker process ${r.nodeCpuMsPerDelivery.toFixed(3)} ms CPU per delivery`;

try {
  // ---- ceiling and throughput: ceiling, FARO, pg-boss, ceiling, FARO, pg-boss, …, ceiling ------
  const ceilings: number[] = [];
  const faro: RoundResult[] = [];
  const pgboss: RoundResult[] = [];
  let ceilingWide = Number.NaN;
  if (!SKIP.has('throughput')) {
    await ceiling(workerConcurrency, 1); // warm-up
    ceilingWide = await ceiling(maxInFlight, CEILING_S);
    log(`ceiling: ${ceilingWide.toFixed(0)}/s at ${maxInFlight} concurrent`);
    for (let round = 0; round < ROUNDS; round++) {
      ceilings.push(await ceiling(workerConcurrency, CEILING_S));
      log(`ceiling: ${ceilings.at(-1)!.toFixed(0)}/s at ${workerConcurrency} concurrent`);
      faro.push(await runFaroRound(ctx, EVENTS, SUBSCRIPTIONS));
      log(describe('FARO', faro.at(-1)!));
      pgboss.push(await runPgBossRound(ctx, EVENTS, SUBSCRIPTIONS, PGBOSS));
      log(describe('pg-boss', pgboss.at(-1)!));
    }
    ceilings.push(await ceiling(workerConcurrency, CEILING_S));
    log(`ceiling: ${ceilings.at(-1)!.toFixed(0)}/s at ${workerConcurrency} concurrent`);
  }

  // ---- latency at a steady offered load, an idle receiver, the drain ------------------------
  // A fixed rate, not a share of the throughput: half of today's throughput asks more events per
  // second than this process can raise while it also runs the worker, and runs stay comparable.
  const steadyRate = Number(env.BENCH_STEADY_RATE ?? 1000);
  const latency = SKIP.has('latency') ? null : await runLatencyAndDrain(ctx, {
    subscriptions: SUBSCRIPTIONS, steadyRate, steadySeconds: STEADY_S, idleEvents: IDLE_EVENTS, idleGapMs: IDLE_GAP_MS,
    backlogEvents: BACKLOG_EVENTS, drainBudgetSeconds: DRAIN_BUDGET_S,
  });

  // ---- the noisy neighbour ---------------------------------------------------------------------
  const noisy = SKIP.has('noisy') ? null : await runNoisyNeighbour(ctx, NOISY);

  // ---- metrics on vs off -------------------------------------------------------------------------
  const metricsCost = SKIP.has('metrics') ? null : await runMetricsCost(ctx, { events: METRICS_EVENTS, subscriptions: SUBSCRIPTIONS, rounds: METRICS_ROUNDS });

  const { rows: [{ server_version: postgresVersion }] } = await databases.admin.query('SHOW server_version');
  const report = [
    renderReport({
      postgresVersion, config: config.webhooks, subscriptions: SUBSCRIPTIONS, events: EVENTS, workerConcurrency,
      ceilings, ceilingWide, faro, pgboss, pgbossSettings: PGBOSS, latency, steadySeconds: STEADY_S, idleGapMs: IDLE_GAP_MS,
      noisy, noisyOptions: NOISY,
    }),
    ...(metricsCost ? [renderMetricsCost(metricsCost)] : []),
  ].join('\n\n');
  process.stdout.write(`\n${report}\n`);
  if (SKIP.size === 0 && env.BENCH_NO_RECORD !== '1') writeBenchmarkSection('bench:webhooks', report);
} finally {
  await databases.dropAll();
  await databases.admin.end();
  receiver.close();
}
