import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { listMigrations, migrate, pendingMigrations } from '../../src/db/migrator.ts';
import { emptyDatabases, type Cleanups } from '../support/migration-database.ts';

const postgresUrl = process.env.TEST_DATABASE_URL;
const cleanups: Cleanups = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function recorded(database: Database): Promise<string[]> {
  const rows = await database.db.selectFrom('schema_migrations').select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

const onDisk = () => listMigrations().map((migration) => migration.name);

describe('migrations from an empty database', () => {
  // One empty database for the sequence (opening a fresh PGlite costs seconds).
  let database: Database;
  beforeAll(async () => {
    [database] = (await emptyDatabases(cleanups, 1)) as [Database];
  }, 120_000);

  it('applies every migration in file order and records each one', async () => {
    const applied = await migrate(database.db);
    expect(applied).toEqual(onDisk());
    expect(applied[0]).toBe('0001_core.sql');
    expect(await recorded(database)).toEqual(onDisk());

    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public'`.execute(database.db);
    const names = tables.rows.map((row) => row.table_name);
    for (const table of ['agencies', 'users', 'sessions', 'locations', 'conversations', 'messages', 'reviews', 'leads', 'sync_runs', 'events']) {
      expect(names).toContain(table);
    }
  }, 120_000);

  it('applies nothing the second time', async () => {
    const before = await recorded(database);
    expect(before).toEqual(onDisk());
    expect(await migrate(database.db)).toEqual([]);
    expect(await recorded(database)).toEqual(before);
  });

  it('leaves nothing pending for the readiness check', async () => {
    expect(await pendingMigrations(database.db)).toEqual([]);
  });

  it.runIf(postgresUrl)('lets processes migrate one Postgres database at the same time without clashing', async () => {
    // Four separate pools stand in for four processes starting together against one database.
    const databases = await emptyDatabases(cleanups, 4);
    const results = await Promise.all(databases.map((database) => migrate(database.db)));
    const applied = results.flat();
    expect([...applied].sort()).toEqual(onDisk());
    expect(new Set(applied).size).toBe(applied.length);
    expect(await recorded(databases[0]!)).toEqual(onDisk());
  }, 120_000);
});
