// `npm run bench:api`: the public API's authenticated hot path against PostgreSQL + Redis, in
// one run with alternating rounds: a list and a cheap single-row read, with and without the
// API-key guard and rate limit, with a full-window key, with the production logger, and the same
// read on a minimal Fastify + pg peer with and without @fastify/rate-limit. Prints the table and
// records it in docs/benchmarks.md.
//
// BENCH_DURATION_S (10), BENCH_ROUNDS (3), BENCH_STEADY_RPS (500) shape the run; BENCH_ONLY
// runs some variants only;
// BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server process there (bench/api/profile.ts
// summarises one: `node bench/api/profile.ts <file.cpuprofile> [requests]`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { writeBenchmarkSection, machineDescription } from './report.ts';
import { createBenchDatabase, seed } from './api/seed.ts';
import { startFaro, startPeer, type Server } from './api/servers.ts';
import { runHotPath, type VariantId } from './api/hot-path.ts';
import { hotPathTable } from './api/hot-path-table.ts';

const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STEADY_RPS = Number(process.env.BENCH_STEADY_RPS ?? 500);
const CONNECTIONS = 20;
const cpuProfileDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
/** Comma-separated variant ids (bench/api/hot-path.ts): a partial run, printed but not recorded. */
const only = process.env.BENCH_ONLY?.split(',').map((id) => id.trim()) as VariantId[] | undefined;

function countLines(file: string): number {
  const bytes = fs.readFileSync(file);
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines += 1;
  return lines;
}

const run = randomBytes(4).toString('hex');
const database = await createBenchDatabase(baseUrl);
const redis = new Redis(redisUrl);
const servers: Server[] = [];
const logFile = path.join(os.tmpdir(), `faro-bench-api-${run}.log`);
try {
  const seeded = await seed(database.url, ROUNDS);
  const common = { databaseUrl: database.url, redisUrl, agencyId: seeded.agencyId };
  // Each server has its own limiter key prefix: runs and servers share no limiter state.
  const faroPrefix = `faro:bench:${run}:silent:`;
  const faro = await startFaro({ ...common, redisKeyPrefix: faroPrefix, logger: 'silent' }, { cpuProfileDir });
  servers.push(faro);
  const faroLogged = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:logged:`, logger: 'production' }, { stdoutFile: logFile });
  servers.push(faroLogged);
  const peer = await startPeer({ ...common, redisKeyPrefix: `faro:bench:${run}:` }, { cpuProfileDir });
  servers.push(peer);

  const setup = {
    seeded, faro, faroPrefix, faroLogged, peer, redisUrl,
    meters: { admin: database.admin, databaseName: database.name, redis },
    duration: DURATION_S, rounds: ROUNDS, connections: CONNECTIONS, steadyRate: STEADY_RPS,
    loggedLines: () => countLines(logFile),
    only,
  };
  const result = await runHotPath(setup, (line) => console.log(line));

  const table = hotPathTable(setup, result);
  const sections = [
    `${CONNECTIONS} connections (the steady rows: 10), ${ROUNDS} rounds of ${DURATION_S} s per variant, the order rotating each round; ` +
      'each row is the mean of its rounds, each ratio the median over rounds of the ratio within a round. PostgreSQL and Redis on the same machine, ' +
      'each server in its own process (FARO with logging silenced; FARO with the production logger, `createLogger` at the default level, writing to a file; ' +
      'the peer, bench/api/peer-server.ts). CPU per request: the server process (/proc), the bench database\'s Postgres backends, and Redis command time ' +
      '(INFO commandstats, all clients: Redis is shared). Latencies are 2xx answers only.',
    '',
    table.markdown,
    '',
    `The production logger wrote ${result.logLinesPerRequest.toFixed(2)} lines per request.`,
    // bench/api-polling.ts adds its section (filters at 10k / 300k / 1M rows) here.
  ];
  const body = sections.join('\n');
  console.log(`\n${machineDescription()}\n\n${body}\n`);
  if (!only) writeBenchmarkSection('bench:api', body);
} finally {
  for (const server of servers) await server.stop();
  fs.rmSync(logFile, { force: true });
  redis.disconnect();
  await database.drop();
}
