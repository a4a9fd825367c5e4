import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { retryWhileUnavailable } from '../../src/db/availability.ts';
import { migrate } from '../../src/db/migrator.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;

/*
 * An instance starting during a failover: its connections are cut while it migrates. It waits for
 * the database and starts over instead of exiting (a worker-role process died this way in CI).
 * The database starts empty so that the migrations really run.
 */
describe.runIf(databaseUrl)('starting while the database fails over', () => {
  const name = `faro_start_${randomBytes(6).toString('hex')}`;
  let database: Database;
  let admin: pg.Client;
  const warnings: string[] = [];
  const logger = { warn: (_: object, msg: string) => void warnings.push(msg) };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(databaseUrl!);
    url.pathname = `/${name}`;
    database = await openPostgres(url.toString(), 5);
  });

  afterAll(async () => {
    await database?.close();
    await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  const cutEveryConnection = () =>
    admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);

  it('starts the migrations over when its connections are cut as it starts, and they end applied once', async () => {
    let runs = 0;
    const applied = await retryWhileUnavailable(database.db, 'test', logger, async () => {
      runs += 1;
      if (runs === 1) {
        // One connection held across the cut: a pooled query could pick a fresh connection
        // once the pool has noticed the dead one, and succeed.
        await database.db.connection().execute(async (connection) => {
          await sql`select 1`.execute(connection);
          await cutEveryConnection();
          await sql`select 1`.execute(connection);
        });
      }
      return migrate(database.db);
    });
    expect(runs).toBe(2);
    expect(warnings.some((line) => line.includes('while starting'))).toBe(true);
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrate(database.db)).toEqual([]);
  });

  it('passes on an error that is not the database going away', async () => {
    let runs = 0;
    const failing = retryWhileUnavailable(database.db, 'test', logger, async () => {
      runs += 1;
      throw new Error('a bug, not an outage');
    });
    await expect(failing).rejects.toThrow('a bug, not an outage');
    expect(runs).toBe(1);
  });
});
