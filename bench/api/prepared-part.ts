// What preparing the public API's reads saves (src/db/prepared-client.ts): each hot query, as the
// repositories build it, run one at a time through the service's pool (prepared on first use) and
// through a plain pg pool (parsed and planned on every call), alternating, on one connection
// each; Postgres CPU from the backends' /proc times (bench/webhooks/postgres-cpu.ts). A list page
// is the control: the service's pool leaves pages unprepared (their generic plans cannot see a
// filter's value), so both columns should match.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DB } from '../../src/db/types.ts';
import { openPostgres } from '../../src/db/database.ts';
import { findKeyForAuth } from '../../src/domains/api/repository.ts';
import { hashApiKey } from '../../src/domains/api/key-format.ts';
import { findLocation } from '../../src/domains/locations/repository.ts';
import { listReviews } from '../../src/domains/reviews/repository.ts';
import { startPostgresCpuMeter } from '../webhooks/postgres-cpu.ts';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase, seed } from './seed.ts';

const QUERIES_PER_ROUND = 2_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const preparedPart: BenchPart = {
  name: 'prepared statements',
  async run(context: BenchContext): Promise<string> {
    const database = await createBenchDatabase(context.databaseUrl);
    const prepared = await openPostgres(database.url, 1);
    const plainPool = new pg.Pool({ connectionString: database.url, max: 1 });
    // pool.end() resolves before its client's socket closes; the database's forced drop then
    // ends that backend, and an 'error' with no listener would end the run.
    plainPool.on('error', () => undefined);
    const unprepared = new Kysely<DB>({ dialect: new PostgresDialect({ pool: plainPool }) });
    try {
      const seeded = await seed(database.url, 0);
      const queries: [string, (db: Kysely<DB>) => Promise<unknown>][] = [
        ['API key lookup (repo.findKeyForAuth)', (db) => findKeyForAuth(db, hashApiKey(seeded.freshKey.key))],
        ['location by id (repo.findLocation)', (db) => findLocation(db, seeded.agencyId, seeded.locationId)],
        ['25 reviews (repo.listReviews): a page, never prepared', (db) => listReviews(db, seeded.agencyId, {}, { limit: 26 })],
      ];
      const rows = ['| query | Postgres CPU µs/query, prepared | unprepared | saved |', '|---|---:|---:|---:|'];
      for (const [name, query] of queries) {
        const cpu: Record<'prepared' | 'unprepared', number[]> = { prepared: [], unprepared: [] };
        for (let round = 0; round < context.rounds; round++) {
          for (const [kind, db] of [['prepared', prepared.db], ['unprepared', unprepared]] as const) {
            for (let i = 0; i < 100; i++) await query(db);
            const meter = await startPostgresCpuMeter(database.admin, database.name);
            if (!meter) return 'Not measured: the Postgres server\'s processes are not visible from here.';
            for (let i = 0; i < QUERIES_PER_ROUND; i++) await query(db);
            cpu[kind].push(((await meter.stop()) * 1000) / QUERIES_PER_ROUND);
          }
        }
        const [p, u] = [median(cpu.prepared), median(cpu.unprepared)];
        context.log(`${name}: prepared ${cpu.prepared.map((v) => v.toFixed(0)).join(' / ')}, unprepared ${cpu.unprepared.map((v) => v.toFixed(0)).join(' / ')} µs`);
        rows.push(`| ${name} | ${p.toFixed(0)} | ${u.toFixed(0)} | ${(u - p).toFixed(0)} |`);
      }
      return [
        `Each query ${QUERIES_PER_ROUND.toLocaleString('en')} times in a row per round, ${context.rounds} rounds alternating prepared and unprepared, one connection each; ` +
          "medians over rounds, on a database seeded like the hot path's (500 reviews).",
        '',
        ...rows,
      ].join('\n');
    } finally {
      await prepared.close();
      await unprepared.destroy();
      await database.drop();
    }
  },
};
