import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { MAX_AUTO_PREPARED, preparedStatementName } from '../../src/db/prepared-client.ts';
import { claimDueDeliveries, recordAttempts } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { createTestDatabase, usingPostgres } from '../support/database.ts';
import { createTestApp } from '../support/app.ts';
import { createAgency } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';

describe('preparedStatementName', () => {
  it('names only SQL that starts with the marker', () => {
    expect(preparedStatementName('SELECT 1')).toBeNull();
    expect(preparedStatementName('SELECT 1 /* prepared: late */')).toBeNull();
    expect(preparedStatementName('/* prepared: Bad-Name */ SELECT 1')).toBeNull();
    expect(preparedStatementName('/* prepared: probe */ SELECT 1')).toMatch(/^probe_[0-9a-f]{12}$/);
  });

  it('gives two texts under one marker two names, and one text always the same name', () => {
    const one = preparedStatementName('/* prepared: probe */ SELECT 1');
    expect(preparedStatementName('\n  /* prepared: probe */ SELECT 1')).not.toBe(one);
    expect(preparedStatementName('/* prepared: probe */ SELECT 2')).not.toBe(one);
    expect(preparedStatementName('/* prepared: probe */ SELECT 1')).toBe(one);
  });
});

describe.skipIf(!usingPostgres())('prepared statements on Postgres', () => {
  let database: Database & { url?: string };
  let oneConnection: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so the statements prepared by the queries below are the ones listed.
    oneConnection = await openPostgres(database.url!, 1);
  });
  afterAll(async () => {
    await oneConnection?.close();
    await database?.close();
  });

  async function preparedOnConnection(): Promise<string[]> {
    const rows = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(oneConnection.db);
    return rows.rows.map((row) => row.name);
  }

  async function preparedTexts(): Promise<{ name: string; statement: string }[]> {
    const rows = await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements ORDER BY name`.execute(oneConnection.db);
    return rows.rows;
  }

  it('prepares marked statements once per connection and leaves the rest unnamed', async () => {
    for (const n of [1, 2, 3]) {
      const result = await sql<{ n: number }>`/* prepared: probe */ SELECT ${n}::int AS n`.execute(oneConnection.db);
      expect(result.rows).toEqual([{ n }]);
    }
    await sql`SELECT 1`.execute(oneConnection.db);
    const names = await preparedOnConnection();
    expect(names.filter((name) => name.startsWith('probe_'))).toHaveLength(1);
    expect(names.every((name) => /^[a-z0-9_]+_[0-9a-f]{12}$/.test(name))).toBe(true);
  });

  it("the delivery queue's hot statements run prepared", async () => {
    const now = new Date();
    await claimDueDeliveries(oneConnection.db, { workerId: 'w', now, leaseUntil: now, limit: 5, subscriptionAllowances: new Map(), agencyAllowances: new Map(), subscriptionDefault: 2, agencyDefault: 5 });
    await recordAttempts(oneConnection.db, [], [{
      id: 'whdel_none', workerId: 'w', attempts: 1, now,
      result: { status: 'succeeded', nextAttemptAt: null, lastStatusCode: 204, lastError: null, deliveredAt: now },
    }]);
    const names = await preparedOnConnection();
    expect(names.some((name) => name.startsWith('claim_due_deliveries_'))).toBe(true);
    expect(names.some((name) => name.startsWith('record_attempts_'))).toBe(true);
  });

  it("the public API's reads run prepared as Kysely builds them (the key lookup, find by id), and list pages do not", async () => {
    const t = await createTestApp({ database: oneConnection });
    try {
      const agency = await createAgency(t.app);
      const key = await createApiKey(t.app, agency.id, { scopes: ['locations:read', 'reviews:read'] });
      const location = await t.ctx.services.locations.create(agency.id, { name: 'Prepared' });
      for (const url of [`/api/v1/locations/${location.id}`, '/api/v1/locations?limit=5', '/api/v1/reviews?limit=5&rating=5']) {
        for (let i = 0; i < 2; i++) expect((await t.app.inject(withKey(key.key, url))).statusCode).toBe(200);
      }
      const auto = (await preparedTexts()).filter((row) => row.name.startsWith('auto_'));
      const preparedFrom = (table: string) => auto.filter((row) => row.statement.includes(`from "${table}"`));
      expect(preparedFrom('api_keys').some((row) => row.statement.includes('"key_hash" = $1'))).toBe(true);
      expect(preparedFrom('locations').some((row) => row.statement.includes('"id" = $2'))).toBe(true);
      // A generic plan of a page cannot see its filter's value (bench:polling): lists are planned each time.
      expect(auto.filter((row) => /limit \$\d+\s*$/i.test(row.statement))).toEqual([]);
      expect(preparedFrom('reviews')).toEqual([]);
      // Each text once, however often it ran.
      expect(new Set(auto.map((row) => row.statement)).size).toBe(auto.length);
    } finally {
      await t.close();
    }
  });

  it('runs statements inside a transaction unnamed, and statements without parameters too', async () => {
    await oneConnection.db.transaction().execute(async (trx) => {
      await sql`SELECT ${'x'}::text AS in_a_transaction`.execute(trx);
    });
    await sql`SELECT 'x' AS without_parameters`.execute(oneConnection.db);
    await sql`SELECT ${'x'}::text AS outside_a_transaction`.execute(oneConnection.db);
    const texts = (await preparedTexts()).map((row) => row.statement);
    expect(texts.filter((text) => /in_a_transaction|without_parameters|outside_a_transaction/.test(text))).toEqual(['SELECT $1::text AS outside_a_transaction']);
  });

  it('a prepared SELECT * keeps answering after a migration adds a column under the live connection', async () => {
    await sql`CREATE TABLE probe_rows (id int PRIMARY KEY, name text NOT NULL)`.execute(database.db);
    await sql`INSERT INTO probe_rows VALUES (1, 'one')`.execute(database.db);
    const find = () => oneConnection.db.selectFrom('probe_rows' as never).selectAll().where('id' as never, '=', 1 as never).executeTakeFirst();
    expect(await find()).toEqual({ id: 1, name: 'one' });
    expect(await find()).toEqual({ id: 1, name: 'one' });
    await sql`ALTER TABLE probe_rows ADD COLUMN city text NOT NULL DEFAULT 'Lisbon'`.execute(database.db);
    expect(await find()).toEqual({ id: 1, name: 'one', city: 'Lisbon' });
    const names = (await preparedTexts()).filter((row) => row.statement.includes('"probe_rows"')).map((row) => row.name);
    // Prepared afresh under a new name; the old one is never run again.
    expect(names).toHaveLength(2);
    expect(new Set(names.map((name) => name.split('_')[1])).size).toBe(2);
  });

  it('runs a statement that fails once, not again', async () => {
    // nextval is not undone by the failure, so the sequence counts the attempts.
    await sql`CREATE SEQUENCE probe_attempts`.execute(database.db);
    await sql`CREATE TABLE probe_unique (attempt bigint NOT NULL, n int UNIQUE)`.execute(database.db);
    const insert = () => oneConnection.db.insertInto('probe_unique' as never).values({ attempt: sql`nextval('probe_attempts')`, n: 1 } as never).execute();
    await insert();
    await expect(insert()).rejects.toMatchObject({ code: '23505' });
    const rows = await sql<{ last: number }>`SELECT last_value::int AS last FROM probe_attempts`.execute(database.db);
    expect(rows.rows).toEqual([{ last: 2 }]);
  });

  it(`prepares at most ${MAX_AUTO_PREPARED} unmarked statements per connection; the rest run unnamed`, async () => {
    const fresh = await openPostgres(database.url!, 1);
    try {
      for (let i = 0; i < MAX_AUTO_PREPARED + 10; i++) {
        const result = await sql<{ n: number }>`SELECT ${i}::int + ${sql.lit(i)} AS n`.execute(fresh.db);
        expect(result.rows).toEqual([{ n: 2 * i }]);
      }
      const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'auto_%'`.execute(fresh.db);
      expect(count.rows).toEqual([{ n: MAX_AUTO_PREPARED }]);
    } finally {
      await fresh.close();
    }
  });
});
