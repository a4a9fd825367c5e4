// `npm run bench:api`: GET /api/v1/reviews?limit=25 with a valid key vs the same route plugins
// with authentication and rate limiting switched off, measured in the same run, alternating,
// against PostgreSQL + Redis. Prints a table and records it in docs/benchmarks.md.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { openPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrator.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createAgencyService } from '../src/domains/agencies/service.ts';
import { createResourceServices } from '../src/services.ts';
import { createApiKeyService } from '../src/domains/api/service.ts';
import { createMemoryRateLimiter } from '../src/domains/api/rate-limiter.ts';
import { writeBenchmarkSection, machineDescription } from './report.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 20;

const dbName = `faro_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const benchUrl = Object.assign(new URL(baseUrl), { pathname: `/${dbName}` }).toString();

async function seed(): Promise<{ agencyId: string; key: string }> {
  const database = await openPostgres(benchUrl, 4);
  await migrate(database.db);
  const { agency } = await createAgencyService({ db: database.db, clock: systemClock }).createAgency({
    name: 'Bench agency',
    tier: 'enterprise',
    admin_email: 'bench@agency.test',
    admin_password: 'bench-password-1',
    api_rate_limit: 10_000_000,
  });
  const services = createResourceServices({ db: database.db, clock: systemClock });
  const location = await services.locations.create(agency.id, { name: 'Bench location' });
  for (let i = 0; i < 500; i++) {
    await services.reviews.create(agency.id, { location_id: location.id, source: 'google', rating: 1 + (i % 5), author_name: `Reviewer ${i}`, body: 'Great service, would come back. '.repeat(3) });
  }
  const apiKeys = createApiKeyService({ db: database.db, clock: systemClock, limiter: createMemoryRateLimiter({}), onKeyChanged: async () => {} });
  const { key } = await apiKeys.generate(agency.id, { name: 'bench', scopes: ['reviews:read'] }, { userId: null, via: 'operator', requestId: null });
  await database.close();
  return { agencyId: agency.id, key };
}

interface Sample { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function run(url: string, headers: Record<string, string>, duration: number): Promise<Sample> {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

const { agencyId, key } = await seed();
const server = fork(path.join(here, 'api-server.ts'), [benchUrl, redisUrl, agencyId], { stdio: 'inherit' });
const serverUrl = await new Promise<string>((resolve) => server.once('message', (m) => resolve((m as { url: string }).url)));
const withAuth = { url: `${serverUrl}/api/v1/reviews?limit=25`, headers: { authorization: `Bearer ${key}` } };
const noAuth = { url: `${serverUrl}/bench-noauth/v1/reviews?limit=25`, headers: {} };

try {
  await run(withAuth.url, withAuth.headers, 3);
  await run(noAuth.url, noAuth.headers, 3);
  const samples: { auth: Sample[]; none: Sample[] } = { auth: [], none: [] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.none.push(await run(noAuth.url, noAuth.headers, DURATION_S));
    samples.auth.push(await run(withAuth.url, withAuth.headers, DURATION_S));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const summary = (list: Sample[]) => ({
    rps: mean(list.map((s) => s.rps)),
    p50: mean(list.map((s) => s.p50)),
    p99: mean(list.map((s) => s.p99)),
    bad: list.reduce((n, s) => n + s.errors + s.non2xx, 0),
  });
  const a = summary(samples.auth);
  const n = summary(samples.none);
  const rows = [
    '| variant | req/s | p50 ms | p99 ms | errors + non-2xx |',
    '|---|---:|---:|---:|---:|',
    `| no auth, no rate limit | ${n.rps.toFixed(0)} | ${n.p50.toFixed(2)} | ${n.p99.toFixed(2)} | ${n.bad} |`,
    `| API key + rate limit (Redis) | ${a.rps.toFixed(0)} | ${a.p50.toFixed(2)} | ${a.p99.toFixed(2)} | ${a.bad} |`,
    '',
    `Authenticated throughput: **${((a.rps / n.rps) * 100).toFixed(1)} %** of unauthenticated (target ≥ 85 %). ` +
      `p99 added by auth + rate limit: **${(a.p99 - n.p99).toFixed(2)} ms** (target ≤ 1 ms).`,
  ];
  const body = [
    `GET /api/v1/reviews?limit=25, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s per variant (means), PostgreSQL + Redis on the same machine, server in its own process.`,
    '',
    ...rows,
  ].join('\n');
  console.log(`\n${machineDescription()}\n\n${body}\n`);
  writeBenchmarkSection('bench:api', body);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
