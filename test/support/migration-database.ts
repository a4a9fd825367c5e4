// For tests of a migration: an empty database of their own, and the migrations before one, so
// rows can be written in the shape a database deployed earlier held them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres, wrapPglite, type Database } from '../../src/db/database.ts';
import { MIGRATIONS_DIR, listMigrations } from '../../src/db/migrator.ts';
import { openPgliteFromTemplate } from '../../src/db/pglite.ts';

/** What to undo when the test file is done, in reverse order. */
export type Cleanups = (() => Promise<void>)[];

/** An unmigrated database: a fresh PGlite, or a new database on TEST_DATABASE_URL's server. */
export async function emptyDatabase(cleanups: Cleanups): Promise<Database> {
  return (await emptyDatabases(cleanups, 1))[0]!;
}

/**
 * One unmigrated database, opened `connections` times (separate pools, as separate instances
 * would): on PGlite, which one process alone may open, always one.
 */
export async function emptyDatabases(cleanups: Cleanups, connections: number): Promise<Database[]> {
  const postgresUrl = process.env.TEST_DATABASE_URL;
  if (!postgresUrl) {
    const pglite = wrapPglite(await openPgliteFromTemplate(undefined));
    cleanups.push(() => pglite.close());
    return [pglite];
  }
  const name = `faro_migration_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const opened = await Promise.all(Array.from({ length: connections }, () => openPostgres(url.toString(), 2)));
  cleanups.push(async () => {
    await Promise.all(opened.map((database) => database.close()));
    const dropper = new pg.Client({ connectionString: postgresUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  return opened;
}

/** A directory holding the migrations before `name`, as a database deployed earlier had them. */
export function migrationsBefore(name: string, cleanups: Cleanups): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'faro-migrations-'));
  for (const migration of listMigrations().filter((m) => m.name < name)) fs.copyFileSync(path.join(MIGRATIONS_DIR, migration.name), path.join(directory, migration.name));
  cleanups.push(async () => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}
