// The cost of usage and request-log recording (src/domains/usage/recorder.ts) on the cheap
// authenticated read: two FARO servers, recording on and off (FARO_USAGE_RECORDING), each on a
// database of its own, loaded at the same time.
//
// A few percent is the question, and on this shared machine one round can run 30 % slower than the
// next (other tenants of the host): rounds taken one after the other gave pair ratios from 0.86 to
// 1.11 for the same code. Loaded together, both servers see the same machine and get the same CPU
// (an A/A run of two recording-off servers: rounds 0.91 to 1.03, median 0.99), so the ratio of
// their throughputs is the verdict. Two readings explain it: a V8 CPU profile of each server, and
// the share of its busy time spent in recording's code (the request hook, the recorder, the COPY it
// sends, with what they call; the off server's share is the control); and what each variant costs
// this whole machine per request: its server process, its own database's Postgres processes, and
// the shares of the load generator and Redis (in production Postgres has a machine of its own).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase, seed, type BenchDatabase } from './seed.ts';
import { startFaro, type Server } from './servers.ts';
import { median, settle } from './paired-rounds.ts';
import { measure, redisScriptUs, summarise, type Sample, type Target } from './load.ts';
import { inclusiveShare, readProfile } from './profile.ts';

/** Per server: 20 in all, as the other parts use. */
const CONNECTIONS = 10;
const TARGET_RATIO = 0.97;

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Variant {
  id: 'on' | 'off';
  label: string;
  database: BenchDatabase;
  server: Server;
  target: Target;
}

interface Round {
  on: Sample;
  off: Sample;
  /** µs per request (both servers' requests) of the load generator (this process) and of Redis's scripts. */
  sharedUs: number;
}

/** Code that runs only to record: the request hook and the recorder (src/domains/usage), the COPY writer and stream. */
const RECORDING_CODE = /src\/domains\/usage\/|src\/db\/copy-binary|pg-copy-streams/;

/** The share of a server's busy CPU spent recording, from the profile it wrote when it stopped. */
function recordingShare(profileDir: string, pid: number): number {
  const file = fs.readdirSync(profileDir).find((name) => name.includes(`.${pid}.`) && name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile of server ${pid} in ${profileDir}`);
  const { us, busyUs } = inclusiveShare(readProfile(path.join(profileDir, file)), RECORDING_CODE);
  return us / busyUs;
}

/** What a request costs the machine, in µs: the variant's own processes plus the shared ones. */
const machineCostUs = (sample: Sample, sharedUs: number) => sample.serverCpuUs + (sample.postgresCpuUs ?? 0) + sharedUs;

export const recordingPart: BenchPart = {
  name: 'usage and request-log recording',
  async run(context: BenchContext): Promise<string> {
    const run = randomBytes(4).toString('hex');
    const profileDir = context.cpuProfileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'faro-bench-recording-'));
    const redis = new Redis(context.redisUrl);
    const databases: BenchDatabase[] = [];
    const servers: Server[] = [];
    try {
      const start = async (id: Variant['id']): Promise<Variant> => {
        const database = await createBenchDatabase(context.databaseUrl);
        databases.push(database);
        const seeded = await seed(database.url, 0);
        const options = { databaseUrl: database.url, redisUrl: context.redisUrl, agencyId: seeded.agencyId, logger: 'silent' as const, redisKeyPrefix: `faro:bench:${run}:recording-${id}:` };
        const server = await startFaro(options, { env: { FARO_USAGE_RECORDING: id }, cpuProfileDir: profileDir });
        servers.push(server);
        const target = { url: `${server.url}/api/v1/locations/${seeded.locationId}`, headers: { authorization: `Bearer ${seeded.freshKey.key}` }, serverPid: server.pid };
        return { id, label: id === 'on' ? 'recording on (the default)' : 'recording off (FARO_USAGE_RECORDING=off)', database, server, target };
      };
      const on = await start('on');
      const off = await start('off');
      const together = async (duration: number): Promise<Round> => {
        const load = { duration, connections: CONNECTIONS };
        const cpuBefore = process.cpuUsage();
        const redisBefore = await redisScriptUs(redis);
        const [onSample, offSample] = await Promise.all(
          [on, off].map((variant) => measure(variant.target, load, { admin: variant.database.admin, databaseName: variant.database.name, redis })),
        );
        const cpu = process.cpuUsage(cpuBefore);
        const requests = Math.max(1, onSample!.requests + offSample!.requests);
        const sharedUs = (cpu.user + cpu.system + (await redisScriptUs(redis)) - redisBefore) / requests;
        return { on: onSample!, off: offSample!, sharedUs };
      };
      await together(Math.min(3, context.durationS));
      const rounds: Round[] = [];
      for (let round = 0; round < context.rounds; round++) {
        await settle();
        const result = await together(context.durationS);
        rounds.push(result);
        const line = (s: Sample) => `${s.rps.toFixed(0).padStart(6)} req/s  server ${s.serverCpuUs.toFixed(0)} µs/req  postgres ${s.postgresCpuUs?.toFixed(0) ?? '—'} µs/req`;
        context.log(`round ${round + 1}/${context.rounds} recording on ${line(result.on)} | off ${line(result.off)} | shared ${result.sharedUs.toFixed(0)} µs/req`);
      }
      const throughputRatios = rounds.map((r) => r.on.rps / r.off.rps);
      const costRatios = rounds.map((r) => machineCostUs(r.off, r.sharedUs) / machineCostUs(r.on, r.sharedUs));
      const costRatio = median(costRatios);
      const sharedUs = rounds.reduce((sum, r) => sum + r.sharedUs, 0) / rounds.length;
      // Stopping the server flushes what it still held: every request it answered is then a row.
      await on.server.stop();
      await off.server.stop();
      const written = await countWritten(on.database.url);
      // The off server runs none of that code: its share shows what the pattern catches otherwise.
      const share = { on: recordingShare(profileDir, on.server.pid), off: recordingShare(profileDir, off.server.pid) };
      const throughputRatio = median(throughputRatios);
      const summary = { on: summarise(rounds.map((r) => r.on)), off: summarise(rounds.map((r) => r.off)) };
      const rows = [off, on].map((variant) => {
        const samples = rounds.map((r) => r[variant.id]);
        const s = summary[variant.id];
        const perRound = samples.map((x) => fmt(x.rps)).join(' / ');
        const [costNote, throughputNote] =
          variant.id === 'on'
            ? [`${costRatio.toFixed(3)}×; rounds ${costRatios.map((r) => r.toFixed(3)).join(', ')}`, `${throughputRatio.toFixed(3)}×; rounds ${throughputRatios.map((r) => r.toFixed(2)).join(', ')}`]
            : ['', ''];
        return `| ${variant.label} | ${fmt(s.rps)} (${perRound}) | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.serverCpuUs, 1)} | ${(share[variant.id] * 100).toFixed(2)} % | ${s.postgresCpuUs === null ? '—' : fmt(s.postgresCpuUs, 1)} | ${fmt(machineCostUs(s, sharedUs), 1)} | ${s.bad} | ${throughputNote} | ${costNote} |`;
      });
      return [
        `GET /api/v1/locations/:id with an API key. Both servers are FARO with logging silenced, each on a database of its own (seeded alike) and on the same Redis, loaded at the same time with ${CONNECTIONS} connections each, in ${context.rounds} rounds of ${context.durationS} s with 2 s to settle before each (why at the same time: bench/api/recording-part.ts). ` +
          'The recording one counts each request and keeps its log row, and writes them every 5 s or once 10,000 rows are waiting (one upsert, one COPY). ' +
          'Recording\'s share: of each server\'s busy CPU in a V8 profile of the whole run, the samples in or below the request hook, the recorder or the COPY (src/domains/usage, src/db/copy-binary.ts, pg-copy-streams). ' +
          `Machine cost per request: the server process, its database's Postgres processes, and the load generator's and Redis's time per request of either server (${fmt(sharedUs, 1)} µs); its ratio (off / on) and the throughput ratio are medians over rounds.`,
        '',
        '| variant | req/s (rounds) | p50 ms | p99 ms | server CPU µs/req | recording\'s share of it | Postgres CPU µs/req | machine µs/req | errors + non-2xx | throughput ratio | machine cost ratio |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
        ...rows,
        '',
        `Throughput with recording / without, both loaded together: **${throughputRatio.toFixed(3)}×** (target ≥ ${TARGET_RATIO}) ${throughputRatio >= TARGET_RATIO ? '✓' : '✗'}. ` +
          `Recording's own code took ${(share.on * 100).toFixed(2)} % of the recording server's CPU (${fmt(share.on * summary.on.serverCpuUs, 1)} µs a request); ` +
          `that server spent ${fmt(summary.on.serverCpuUs - summary.off.serverCpuUs, 1)} µs a request more than the other.`,
        '',
        loggedVersusCounted(written.rows, written.counted),
      ].join('\n');
    } finally {
      for (const server of servers) await server.stop();
      redis.disconnect();
      for (const database of databases) await database.drop();
      if (!context.cpuProfileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    }
  },
};

async function countWritten(url: string): Promise<{ rows: number; counted: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: string; counted: string }>(
      'SELECT (SELECT count(*) FROM api_request_log) AS rows, (SELECT coalesce(sum(succeeded + client_errors + rate_limited + server_errors), 0) FROM api_usage_hourly) AS counted',
    );
    return { rows: Number(rows[0]!.rows), counted: Number(rows[0]!.counted) };
  } finally {
    await client.end();
  }
}

/** Every counted request should have its log row; a shortfall is rows the recorder's buffer dropped. */
function loggedVersusCounted(rows: number, counted: number): string {
  const lost = counted - rows;
  const verdict = lost === 0 ? 'none lost' : `${fmt(lost)} log rows missing (dropped by a full buffer)`;
  return `The recording server wrote ${fmt(rows)} request-log rows and counted ${fmt(counted)} requests in the usage history (warm-up included): ${verdict}.`;
}
