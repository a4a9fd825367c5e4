// The metrics part of bench:api: what Prometheus metrics cost the authenticated hot path. Two FARO
// servers on the same database, the same seed and Redis (each with its own limiter keys): one with
// metrics off (the default), one with FARO_METRICS_PORT set and scraped every 5 s while it is
// measured (three times the usual 15 s scrape interval; each scrape also runs the queue read).
// Rounds come in pairs, each variant first in one of them, and the ratio is taken over each pair (bench/api/paired-rounds.ts).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase, seed } from './seed.ts';
import { startFaro, type Server } from './servers.ts';
import { median, orderOf, pairedRatio, pairedRounds, settle } from './paired-rounds.ts';
import { measure, summarise, type Sample, type Target } from './load.ts';
import { openPostgres } from '../../src/db/database.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createServiceMetrics } from '../../src/observability/metrics.ts';

const CONNECTIONS = 20;
const SCRAPE_INTERVAL_MS = 5_000;
/** The cost the metrics may add: at most 3 % of throughput. */
const TARGET_RATIO = 0.97;

/** Scrapes `url` every few seconds until stopped; answers how many scrapes succeeded. */
function scrapeEvery(url: string, ms: number): { stop(): Promise<number> } {
  let scrapes = 0;
  let running = Promise.resolve();
  const scrape = () => {
    running = fetch(url).then(async (response) => {
      await response.text();
      if (response.ok) scrapes++;
    });
  };
  scrape();
  const timer = setInterval(scrape, ms);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      return scrapes;
    },
  };
}

/**
 * CPU per request of the instrumentation alone, in µs: the calls the HTTP hook and the limiter
 * make, timed in a loop over realistic labels. Unlike the throughput ratio it does not move with
 * the machine's load, so it says what the ratio would be on a quiet machine.
 */
export async function instrumentationUs(databaseUrl: string): Promise<number> {
  const database = await openPostgres(databaseUrl, 1);
  try {
    const metrics = createServiceMetrics({ database, clock: systemClock, limiter: undefined });
    const routes = ['/api/v1/locations/:id', '/api/v1/reviews', '/api/v1/leads', '/api/v1/webhooks/:id/deliveries'];
    const calls = 300_000;
    const run = () => {
      const started = process.cpuUsage();
      for (let i = 0; i < calls; i++) {
        metrics.httpRequest('GET', routes[i & 3], i % 50 === 0 ? 429 : 200, 0.0012 + (i & 7) * 0.001);
        metrics.rateLimitDecision(i % 50 !== 0);
      }
      const used = process.cpuUsage(started);
      return (used.user + used.system) / calls;
    };
    run(); // warm-up: JIT
    return median([run(), run(), run()]);
  } finally {
    await database.close();
  }
}

export const metricsPart: BenchPart = {
  name: 'metrics cost',
  async run(context: BenchContext): Promise<string> {
    const run = randomBytes(4).toString('hex');
    const database = await createBenchDatabase(context.databaseUrl);
    const redis = new Redis(context.redisUrl);
    const servers: Server[] = [];
    try {
      const seeded = await seed(database.url, 0);
      const common = { databaseUrl: database.url, redisUrl: context.redisUrl, agencyId: seeded.agencyId, logger: 'silent' as const };
      const off = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:metrics-off:` }, { cpuProfileDir: context.cpuProfileDir });
      servers.push(off);
      const on = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:metrics-on:`, metrics: true }, { cpuProfileDir: context.cpuProfileDir });
      servers.push(on);
      const meters = { admin: database.admin, databaseName: database.name, redis };
      const target = (server: Server): Target => ({
        url: `${server.url}/api/v1/locations/${seeded.locationId}`,
        headers: { authorization: `Bearer ${seeded.freshKey.key}` },
        serverPid: server.pid,
      });
      const load = { duration: context.durationS, connections: CONNECTIONS };
      for (const server of [off, on]) await measure(target(server), { ...load, duration: Math.min(3, context.durationS) }, meters);

      const samples = { off: [] as Sample[], on: [] as Sample[] };
      let scrapes = 0;
      const rounds = pairedRounds(context.rounds);
      for (let round = 0; round < rounds; round++) {
        for (const variant of orderOf(round, 'off' as const, 'on' as const)) {
          await settle();
          const scraper = variant === 'on' ? scrapeEvery(on.metricsUrl!, SCRAPE_INTERVAL_MS) : undefined;
          const sample = await measure(target(variant === 'on' ? on : off), load, meters);
          scrapes += (await scraper?.stop()) ?? 0;
          samples[variant].push(sample);
          context.log(`round ${round + 1}/${rounds} metrics ${variant.padEnd(3)} ${sample.rps.toFixed(0).padStart(6)} req/s  p99 ${sample.p99.toFixed(2)} ms  server ${sample.serverCpuUs.toFixed(0)} µs/req  bad ${sample.bad}`);
        }
      }
      const perRequestUs = await instrumentationUs(database.url);
      const { ratio, pairs } = pairedRatio(samples.on.map((s) => s.rps), samples.off.map((s) => s.rps));
      const cpuRatio = pairedRatio(samples.on.map((s) => s.serverCpuUs), samples.off.map((s) => s.serverCpuUs)).ratio;
      const mean = { off: summarise(samples.off), on: summarise(samples.on) };
      const row = (name: string, s: Sample) => `| ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.serverCpuUs.toFixed(0)} | ${s.bad} |`;
      return [
        `\`GET /api/v1/locations/:id\` with an API key (the hot path of the part above), ${CONNECTIONS} connections, ${rounds} rounds of ${context.durationS} s per variant, ` +
          `in pairs of rounds (off then on, on then off), with 2 s to settle before each (bench/api/paired-rounds.ts). The metrics-on server was scraped every ${SCRAPE_INTERVAL_MS / 1000} s while measured (${scrapes} scrapes in all). ` +
          'Each row is the mean of its rounds; each ratio the median over round pairs of the ratio of the pair\'s totals.',
        '',
        '| variant | req/s | p50 ms | p99 ms | server CPU µs/req | non-2xx |',
        '|---|---:|---:|---:|---:|---:|',
        row('metrics off (default)', mean.off),
        row('metrics on, scraped', mean.on),
        '',
        `Throughput with metrics on / off: **${ratio.toFixed(3)}** (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'not met'}); ` +
          `server CPU per request on / off: ${cpuRatio.toFixed(3)}. Per round pair (on / off req/s): ${pairs.map((r) => r.toFixed(3)).join(', ')}.`,
        '',
        `The instrumentation alone (the HTTP hook's counter and histogram, and the limiter's counter), timed in a loop: **${perRequestUs.toFixed(2)} µs CPU per request**, ` +
          `${((100 * perRequestUs) / mean.off.serverCpuUs).toFixed(2)} % of the ${mean.off.serverCpuUs.toFixed(0)} µs the metrics-off server spent per request in this run.`,
      ].join('\n');
    } finally {
      for (const server of servers) await server.stop();
      redis.disconnect();
      await database.drop();
    }
  },
};
