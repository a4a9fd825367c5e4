import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, wrapPglite, type Database } from '../../src/db/database.ts';
import { listMigrations, migrate, pendingMigrations } from '../../src/db/migrator.ts';
import { openPgliteFromTemplate } from '../../src/db/pglite.ts';

const postgresUrl = process.env.TEST_DATABASE_URL;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An empty database (no migrations at all): a new Postgres database, or a fresh in-memory PGlite. */
async function emptyDatabase(connections = 1): Promise<Database[]> {
  if (!postgresUrl) {
    const database = wrapPglite(await openPgliteFromTemplate(undefined));
    cleanups.push(() => database.close());
    return [database];
  }
  const name = `faro_m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const databases = await Promise.all(Array.from({ length: connections }, () => openPostgres(url.toString(), 2)));
  cleanups.push(async () => {
    await Promise.all(databases.map((database) => database.close()));
    const dropper = new pg.Client({ connectionString: postgresUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  return databases;
}

async function recorded(database: Database): Promise<string[]> {
  const rows = await database.db.selectFrom('schema_migrations').select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

const onDisk = () => listMigrations().map((migration) => migration.name);

describe('migrations from an empty database', () => {
  // One empty database for the sequence (opening a fresh PGlite costs seconds).
  let database: Database;
  beforeAll(async () => {
    [database] = (await emptyDatabase()) as [Database];
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
    const databases = await emptyDatabase(4);
    const results = await Promise.all(databases.map((database) => migrate(database.db)));
    const applied = results.flat();
    expect([...applied].sort()).toEqual(onDisk());
    expect(new Set(applied).size).toBe(applied.length);
    expect(await recorded(databases[0]!)).toEqual(onDisk());
  }, 120_000);
});
