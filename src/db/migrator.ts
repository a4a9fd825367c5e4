import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { DB } from './types.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

// Any constant works; it only has to be the same for every FARO process on one database.
const MIGRATION_LOCK_KEY = 724_311_001;

export function listMigrations(directory = MIGRATIONS_DIR): { name: string; sql: string }[] {
  return fs
    .readdirSync(directory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((name) => ({ name, sql: fs.readFileSync(path.join(directory, name), 'utf8') }));
}

/**
 * Apply every migration not yet recorded, each in its own transaction, in file order. A
 * transaction-scoped advisory lock makes two processes migrating at once take turns instead of
 * racing: the second finds the migration recorded and skips it.
 */
export async function migrate(db: Kysely<DB>, directory = MIGRATIONS_DIR): Promise<string[]> {
  // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can still collide on Postgres's
  // catalog (duplicate key in pg_type) when two processes create the table at the same moment.
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    await sql`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`.execute(trx);
  });
  const applied: string[] = [];
  for (const migration of listMigrations(directory)) {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
      const done = await trx
        .selectFrom('schema_migrations')
        .select('name')
        .where('name', '=', migration.name)
        .executeTakeFirst();
      if (done) return;
      for (const statement of splitStatements(migration.sql)) await sql.raw(statement).execute(trx);
      await trx.insertInto('schema_migrations').values({ name: migration.name }).execute();
      applied.push(migration.name);
    });
  }
  return applied;
}

/** Names of migrations on disk that the database has not applied (readiness check). */
export async function pendingMigrations(db: Kysely<DB>, directory = MIGRATIONS_DIR): Promise<string[]> {
  const rows = await db.selectFrom('schema_migrations').select('name').execute();
  const applied = new Set(rows.map((row) => row.name));
  return listMigrations(directory)
    .map((migration) => migration.name)
    .filter((name) => !applied.has(name));
}

/**
 * Split a SQL script into statements. PGlite's query() takes one statement at a time, so both
 * backends run migrations statement by statement. Understands quotes, dollar quoting and comments.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < script.length) {
    const rest = script.slice(i);
    const dollar = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
    if (rest.startsWith('--')) {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end + 1;
    } else if (rest.startsWith('/*')) {
      const end = script.indexOf('*/', i + 2);
      i = end === -1 ? script.length : end + 2;
    } else if (dollar) {
      const end = script.indexOf(dollar[0], i + dollar[0].length);
      const stop = end === -1 ? script.length : end + dollar[0].length;
      current += script.slice(i, stop);
      i = stop;
    } else if (rest[0] === "'" || rest[0] === '"') {
      let j = i + 1;
      while (j < script.length && !(script[j] === rest[0] && script[j + 1] !== rest[0])) j += script[j] === rest[0] ? 2 : 1;
      current += script.slice(i, j + 1);
      i = j + 1;
    } else if (rest[0] === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      i++;
    } else {
      current += rest[0];
      i++;
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
