// `npm run bench:polling`: the p50 of every filter of every public list, run by the repositories'
// own list functions against PostgreSQL, on tables of 10 thousand, 300 thousand and a million rows
// shared by agencies of skewed sizes (bench/polling/seed.ts), before migrations/0009 (its indexes
// dropped, the indexes it drops back, the list queries as they were) and after, in the same run;
// and what its indexes cost the writes. `pollingBenchmark()` returns the section's body (for
// bench/api.ts); run alone, this file prints it and records it in docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../src/db/database.ts';
import { listMigrations, migrate, splitStatements } from '../src/db/migrator.ts';
import type { DB } from '../src/db/types.ts';
import { LIST_FILTER_CASES, type ListFilterCase } from './polling/cases.ts';
import { createPollingFixture, growPollingTable, SEEDED_TABLES, type PollingFixture, type SeededTable } from './polling/seed.ts';
import { walRecordsPerRow, WRITE_PATHS, type WritePath } from './polling/writes.ts';
import { machineDescription, writeBenchmarkSection } from './report.ts';

const MIGRATION = '0009_list_filter_indexes.sql';
const DEFAULT_SIZES = [10_000, 300_000, 1_000_000];

export interface PollingBenchmarkOptions {
  /** A Postgres server where the benchmark may create (and drops) its own database. */
  databaseUrl?: string;
  /** Rows per table at each step; every table grows to each in turn. */
  sizes?: number[];
  log?: (line: string) => void;
}

interface Index {
  name: string;
  table: string;
  create: string;
}

interface Measured {
  version: string;
  reads: Map<ListFilterCase, { before: number[]; after: number[] }>;
  writes: Map<WritePath, { before: number; after: number }>;
}

/** What the migration adds and drops, each with its CREATE INDEX (from this migration or the one that made it). */
function migrationIndexes(): { added: Index[]; dropped: Index[] } {
  const migrations = listMigrations();
  const target = migrations.find((migration) => migration.name === MIGRATION);
  if (!target) throw new Error(`${MIGRATION} not found`);
  const created = new Map<string, Index>();
  for (const statement of migrations.flatMap((migration) => splitStatements(migration.sql))) {
    const match = /^CREATE (?:UNIQUE )?INDEX (\w+) ON (\w+)/.exec(statement);
    if (match) created.set(match[1]!, { name: match[1]!, table: match[2]!, create: statement });
  }
  const statements = splitStatements(target.sql);
  const named = (pattern: RegExp) => statements.flatMap((statement) => pattern.exec(statement)?.[1] ?? []).map((name) => created.get(name)!);
  return { added: named(/^CREATE INDEX (\w+)/), dropped: named(/^DROP INDEX (\w+)/) };
}

/** A table's indexes other than those behind constraints, as CREATE INDEX statements. */
async function secondaryIndexes(db: Kysely<DB>, table: string): Promise<Index[]> {
  const rows = await sql<{ name: string; create: string }>`
    SELECT i.indexname AS name, i.indexdef AS create FROM pg_indexes i
     WHERE i.schemaname = 'public' AND i.tablename = ${table}
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`.execute(db);
  return rows.rows.map((row) => ({ ...row, table }));
}

async function dropIndexes(db: Kysely<DB>, indexes: Index[]): Promise<void> {
  for (const index of indexes) await sql`DROP INDEX IF EXISTS ${sql.id(index.name)}`.execute(db);
}

/** One at a time, each sort in memory (the default maintenance_work_mem spills a million rows to disk). */
async function createIndexes(db: Kysely<DB>, indexes: Index[]): Promise<void> {
  await db.connection().execute(async (connection) => {
    await sql`SET maintenance_work_mem = '256MB'`.execute(connection);
    for (const index of indexes) await sql.raw(index.create).execute(connection);
    await sql`RESET maintenance_work_mem`.execute(connection);
  });
}

/**
 * Grow one table (and what it refers to) to `rows` the fast way: its indexes are built after the
 * rows are in, and foreign keys are not checked row by row (the seed is consistent by
 * construction). Reads then find the indexes as ordinary inserts would have left them.
 */
async function grow(db: Kysely<DB>, fixture: PollingFixture, table: SeededTable, rows: number, log: (line: string) => void): Promise<void> {
  const indexes = await secondaryIndexes(db, table);
  await dropIndexes(db, indexes);
  const started = performance.now();
  await db.connection().execute(async (connection) => {
    await sql`SET session_replication_role = replica`.execute(connection);
    try {
      await growPollingTable(connection, fixture, table, rows);
    } finally {
      await sql`RESET session_replication_role`.execute(connection);
    }
  });
  const inserted = performance.now();
  await createIndexes(db, indexes);
  // As a table in use would be; and autovacuum, which would wake up for the new rows, has nothing left to compete with the measurement.
  await sql`VACUUM (ANALYZE) ${sql.table(table)}`.execute(db);
  log(`${table}: ${rows} rows (inserts ${((inserted - started) / 1000).toFixed(1)} s, indexes and VACUUM ${((performance.now() - inserted) / 1000).toFixed(1)} s)`);
}

/** The p50 of a page query in ms: one warm-up run, then samples for about a second (at least 3, at most 41). */
async function p50(run: () => Promise<unknown>): Promise<number> {
  await run();
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < 41 && (samples.length < 3 || performance.now() - started < 1_000)) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

async function measure(db: Kysely<DB>, sizes: number[], log: (line: string) => void): Promise<Measured> {
  const reads = new Map(LIST_FILTER_CASES.map((c) => [c, { before: [] as number[], after: [] as number[] }]));
  const writes = new Map(WRITE_PATHS.map((path) => [path, { before: NaN, after: NaN }]));
  await migrate(db);
  const version = (await sql<{ version: string }>`SELECT version()`.execute(db)).rows[0]!.version.split(' on ')[0]!;
  const { added, dropped } = migrationIndexes();
  const fixture = await createPollingFixture(db);
  const huge = fixture.agencies[0]!;
  for (const table of SEEDED_TABLES) {
    const cases = LIST_FILTER_CASES.filter((c) => c.table === table);
    const paths = WRITE_PATHS.filter((path) => path.table === table);
    const ours = added.filter((index) => index.table === table);
    const theirs = dropped.filter((index) => index.table === table);
    for (const rows of sizes) {
      // Before: without the migration's indexes, with those it drops. (Column statistics do not depend on indexes.)
      await dropIndexes(db, ours);
      await createIndexes(db, theirs);
      await grow(db, fixture, table, rows, log);
      const largest = rows === sizes.at(-1);
      for (const c of cases) reads.get(c)!.before.push(await p50(() => (c.before ?? c.run)(db, fixture, huge)));
      if (largest) for (const path of paths) writes.get(path)!.before = await walRecordsPerRow(db, fixture, path);
      // After: as migrated.
      await createIndexes(db, ours);
      await dropIndexes(db, theirs);
      for (const c of cases) reads.get(c)!.after.push(await p50(() => c.run(db, fixture, huge)));
      if (largest) for (const path of paths) writes.get(path)!.after = await walRecordsPerRow(db, fixture, path);
    }
  }
  return { version, reads, writes };
}

function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

function render({ version, reads, writes }: Measured, sizes: number[], minutes: number): string {
  const sizeNames = sizes.map((rows) => (rows >= 1_000_000 ? `${rows / 1_000_000}M` : `${rows / 1_000}k`));
  const percent = (before: number, after: number) => {
    const change = Math.round(((after - before) / before) * 100);
    return `${change > 0 ? '+' : change === 0 ? '±' : ''}${change} %`;
  };
  return [
    `p50 in ms of one page (limit 25) of each list, each filter alone, for the agency with 90 % of the rows (four others: 5, 3, 1.5, 0.5 %), ` +
      `run by the repository's list function (SQL and row decoding, no HTTP), with each table at ${sizeNames.join(', ')} rows. ` +
      `A closed-set filter asks for a value the agency has a handful of (fewer than a page); a time filter, for the time of the table's last 15 rows ` +
      `(30 minutes of reviews: 15 rows, as in issue 12). **Before**: migrations/0009's indexes dropped, those it drops restored, and the lists' queries ` +
      `as they were (time filters on created_at alone); **after**: as migrated. ${version}, default settings; ${minutes.toFixed(1)} min.`,
    '',
    `| list | filter | ${sizeNames.map((s) => `before ${s}`).join(' | ')} | ${sizeNames.map((s) => `after ${s}`).join(' | ')} |`,
    `|---|---|${sizes.map(() => '---:').join('|')}|${sizes.map(() => '---:').join('|')}|`,
    ...LIST_FILTER_CASES.map((c) => {
      const { before, after } = reads.get(c)!;
      return `| ${c.operation} | ${c.label} | ${before.map(formatMs).join(' | ')} | ${after.map(formatMs).join(' | ')} |`;
    }),
    '',
    `What the indexes cost the writes, with each table at ${sizeNames.at(-1)} rows: WAL records per row for each write the product makes to it ` +
      '(a row version and each index entry written for it are one record each; bench/polling/writes.ts).',
    '',
    '| write | table | before | after | change |',
    '|---|---|---:|---:|---:|',
    ...WRITE_PATHS.map((path) => {
      const { before, after } = writes.get(path)!;
      return `| ${path.label} | ${path.table} | ${before.toFixed(1)} | ${after.toFixed(1)} | ${percent(before, after)} |`;
    }),
  ].join('\n');
}

export async function pollingBenchmark(options: PollingBenchmarkOptions = {}): Promise<string> {
  const baseUrl = options.databaseUrl ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const name = `faro_bench_polling_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const database = await openPostgres(Object.assign(new URL(baseUrl), { pathname: `/${name}` }).toString(), 2);
  try {
    const started = performance.now();
    const measured = await measure(database.db, sizes, options.log ?? (() => undefined));
    return render(measured, sizes, (performance.now() - started) / 60_000);
  } finally {
    await database.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.env.BENCH_POLLING_SIZES?.split(',').map(Number);
  const body = await pollingBenchmark({ sizes, log: (line) => console.log(line) });
  console.log(`\n${machineDescription()}\n\n${body}\n`);
  writeBenchmarkSection('bench:polling', body);
}
