// The cost of usage and request-log recording (src/domains/usage/recorder.ts) on the cheap
// authenticated read: two FARO servers on the same database, recording on and off
// (FARO_USAGE_RECORDING), measured in alternating rounds. The recording server's flushes write
// into the bench database, so their Postgres time is in its per-request column.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase, seed } from './seed.ts';
import { startFaro, type Server } from './servers.ts';
import { orderOf, pairedRatio, pairedRounds, settle } from './paired-rounds.ts';
import { measure, summarise, type Sample, type Target } from './load.ts';

const CONNECTIONS = 20;
const TARGET_RATIO = 0.97;

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const recordingPart: BenchPart = {
  name: 'usage and request-log recording',
  async run(context: BenchContext): Promise<string> {
    const run = randomBytes(4).toString('hex');
    const database = await createBenchDatabase(context.databaseUrl);
    const redis = new Redis(context.redisUrl);
    const servers: Server[] = [];
    try {
      const seeded = await seed(database.url, 0);
      const common = { databaseUrl: database.url, redisUrl: context.redisUrl, agencyId: seeded.agencyId, logger: 'silent' as const };
      const on = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:recording-on:` }, { env: { FARO_USAGE_RECORDING: 'on' }, cpuProfileDir: context.cpuProfileDir });
      servers.push(on);
      const off = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:recording-off:` }, { env: { FARO_USAGE_RECORDING: 'off' }, cpuProfileDir: context.cpuProfileDir });
      servers.push(off);
      const target = (server: Server): Target => ({
        url: `${server.url}/api/v1/locations/${seeded.locationId}`,
        headers: { authorization: `Bearer ${seeded.freshKey.key}` },
        serverPid: server.pid,
      });
      const load = { duration: context.durationS, connections: CONNECTIONS };
      const meters = { admin: database.admin, databaseName: database.name, redis };
      const variants = [
        { id: 'off', label: 'recording off (FARO_USAGE_RECORDING=off)', target: target(off) },
        { id: 'on', label: 'recording on (the default)', target: target(on) },
      ];
      for (const variant of variants) await measure(variant.target, { ...load, duration: Math.min(3, context.durationS) }, meters);
      const samples = new Map<string, Sample[]>(variants.map((v) => [v.id, []]));
      const rounds = pairedRounds(context.rounds);
      for (let round = 0; round < rounds; round++) {
        for (const variant of orderOf(round, variants[0]!, variants[1]!)) {
          await settle();
          const sample = await measure(variant.target, load, meters);
          samples.get(variant.id)!.push(sample);
          context.log(`round ${round + 1}/${rounds} recording ${variant.id.padEnd(3)} ${sample.rps.toFixed(0).padStart(6)} req/s  p99 ${sample.p99.toFixed(2)} ms  server ${sample.serverCpuUs.toFixed(0)} µs/req  postgres ${sample.postgresCpuUs?.toFixed(0) ?? '—'} µs/req  bad ${sample.bad}`);
        }
      }
      const { ratio, pairs: ratios } = pairedRatio(samples.get('on')!.map((s) => s.rps), samples.get('off')!.map((s) => s.rps));
      // Stopping the server flushes what it still held: every request it answered is then a row.
      await on.stop();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const written = await client
        .query<{ rows: string; counted: string }>(
          'SELECT (SELECT count(*) FROM api_request_log) AS rows, (SELECT coalesce(sum(succeeded + client_errors + rate_limited + server_errors), 0) FROM api_usage_hourly) AS counted',
        )
        .finally(() => client.end());
      const rows = variants.map((variant) => {
        const s = summarise(samples.get(variant.id)!);
        const perRound = samples.get(variant.id)!.map((x) => fmt(x.rps)).join(' / ');
        const spread = `round pairs ${ratios.map((r) => r.toFixed(2)).join(', ')}`;
        const note = variant.id === 'on' ? `${ratio.toFixed(3)}× recording off (≥ ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? '✓' : '✗'}; ${spread}` : '';
        return `| ${variant.label} | ${fmt(s.rps)} (${perRound}) | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.serverCpuUs)} | ${s.postgresCpuUs === null ? '—' : fmt(s.postgresCpuUs)} | ${s.bad} | ${note} |`;
      });
      return [
        `GET /api/v1/locations/:id with an API key, ${CONNECTIONS} connections, ${rounds} rounds of ${context.durationS} s per variant, in pairs of rounds (off then on, on then off) with 2 s to settle before each (bench/api/paired-rounds.ts). ` +
          'Each row is the mean of its rounds; the ratio is the median over round pairs of the ratio of the pair\'s totals. Both servers are FARO with logging silenced on the same database and Redis; ' +
          'the recording one counts each request and buffers its log row, and writes them every 5 s or once 10,000 rows are waiting (one upsert, one COPY).',
        '',
        '| variant | req/s (rounds) | p50 ms | p99 ms | server CPU µs/req | Postgres CPU µs/req | errors + non-2xx | ratio (target) |',
        '|---|---:|---:|---:|---:|---:|---:|---|',
        ...rows,
        '',
        loggedVersusCounted(Number(written.rows[0]!.rows), Number(written.rows[0]!.counted)),
      ].join('\n');
    } finally {
      for (const server of servers) await server.stop();
      redis.disconnect();
      await database.drop();
    }
  },
};

/** Every counted request should have its log row; a shortfall is rows the recorder's buffer dropped. */
function loggedVersusCounted(rows: number, counted: number): string {
  const lost = counted - rows;
  const verdict = lost === 0 ? 'none lost' : `${fmt(lost)} log rows missing (dropped by a full buffer)`;
  return `The recording server wrote ${fmt(rows)} request-log rows and counted ${fmt(counted)} requests in the usage history (warm-up included): ${verdict}.`;
}
