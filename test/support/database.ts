import { sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { openPostgres, wrapPglite, type Database, type DatabaseOptions } from '../../src/db/database.ts';
import { pgliteParsers } from '../../src/db/pglite.ts';

export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL);

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh, migrated database of its own: a clone of the run's template on Postgres
 * (TEST_DATABASE_URL), an in-memory PGlite loaded from the migrated tarball otherwise.
 * Closing it drops the clone. `traced`: a span per statement, as with tracing on.
 */
export async function createTestDatabase(options: DatabaseOptions = {}): Promise<Database & { url?: string }> {
  const template = inject('databaseTemplate');
  const postgresUrl = process.env.TEST_DATABASE_URL;
  if (postgresUrl) {
    const name = `faro_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(postgresUrl, name);
    const database = await openPostgres(url, 5, options);
    return {
      ...database,
      url,
      async close() {
        await database.close();
        const dropper = new pg.Client({ connectionString: postgresUrl });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  const pglite = new PGlite({
    loadDataDir: new Blob([fs.readFileSync(template)]),
    parsers: pgliteParsers,
  });
  await pglite.waitReady;
  return wrapPglite(pglite, undefined, options);
}

/** Ends, from the server side, every LISTEN connection to this database (as a restart or failover would). */
export async function terminateListeners(database: Database): Promise<number> {
  const result = await sql<{ pid: number }>`
    SELECT pg_terminate_backend(pid) AS terminated, pid FROM pg_stat_activity
     WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`.execute(database.db);
  return result.rows.length;
}

/** The same database, with every query the app builds shown to `observe` first (to count them). */
export function observingQueries(database: Database, observe: (node: RootOperationNode) => void): Database {
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      observe(args.node);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { ...database, db: database.db.withPlugin(plugin) };
}
