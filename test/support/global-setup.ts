import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgres, wrapPglite } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { openPgliteFromTemplate } from '../../src/db/pglite.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Postgres: name of the migrated template database. PGlite: path of a migrated data dir tarball. */
    databaseTemplate: string;
  }
}

function adminUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Migrate once per test run, then let each test file clone the result: `CREATE DATABASE …
 * TEMPLATE` on Postgres, a data-dir tarball on PGlite. Runs never share a database.
 */
export default async function setup(project: TestProject) {
  const postgresUrl = process.env.TEST_DATABASE_URL;
  if (postgresUrl) {
    const template = `faro_tpl_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    const database = await openPostgres(adminUrl(postgresUrl, template), 2);
    await migrate(database.db);
    await database.close();
    project.provide('databaseTemplate', template);
    return async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    };
  }
  const pglite = await openPgliteFromTemplate(undefined);
  const database = wrapPglite(pglite);
  await migrate(database.db);
  const dump = await pglite.dumpDataDir('gzip');
  await database.close();
  const file = path.join(os.tmpdir(), `faro-test-template-${process.pid}-${randomBytes(4).toString('hex')}.tar.gz`);
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('databaseTemplate', file);
  return async () => fs.rmSync(file, { force: true });
}
