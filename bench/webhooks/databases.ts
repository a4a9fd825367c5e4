// Fresh databases for the rounds of `npm run bench:webhooks`: each round (FARO or its pg-boss peer)
// starts on an empty database of its own, so none inherits another's dead tuples or caches.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { createAgencyService } from '../../src/domains/agencies/service.ts';
import { createSecretBox, generateWebhookSecret } from '../../src/domains/webhooks/secret-box.ts';

// A review as GET returns it: the size of a typical payload.
export const REVIEW = {
  id: 'rev_01jqbench0000000000000000', location_id: 'loc_01jqbench0000000000000000', source: 'google', rating: 4,
  author_name: 'Dana Whitfield', body: 'Friendly staff and quick service; parking was a little tight. '.repeat(3),
  reply: null, replied_at: null, published_at: '2026-03-02T09:00:00.000Z', created_at: '2026-03-02T09:00:00.000Z', updated_at: '2026-03-02T09:00:00.000Z',
};

export interface BenchDatabases {
  /** A connection to the base database: creates and drops the others, reads pg_stat_activity. */
  admin: pg.Client;
  /** A new, migrated database; dropped by dropAll() if not before. */
  create(label: string): Promise<FreshDatabase>;
  dropAll(): Promise<void>;
}

export interface FreshDatabase {
  name: string;
  url: string;
  database: Database;
  /** Runs a statement on a connection of its own (VACUUM cannot run in the pool's transactions). */
  exec(text: string): Promise<void>;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export async function openBenchDatabases(baseUrl: string): Promise<BenchDatabases> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  const created = new Set<string>();
  async function dropDatabase(name: string): Promise<void> {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  }
  return {
    admin,
    async create(label) {
      const name = `faro_bench_wh_${label}_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.add(name);
      const url = Object.assign(new URL(baseUrl), { pathname: `/${name}` }).toString();
      const database = await openPostgres(url);
      await migrate(database.db);
      return {
        name, url, database,
        async exec(text) {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(text);
          } finally {
            await client.end();
          }
        },
        async drop() {
          await database.close();
          await dropDatabase(name);
        },
      };
    },
    async dropAll() {
      for (const name of [...created]) await dropDatabase(name);
    },
  };
}

/** An agency with one subscription to each URL (every event type); answers their ids, in order. */
export async function createAgencyWithSubscriptions(
  database: Database,
  options: { name: string; email: string; urls: string[]; secretKey: string },
): Promise<{ agencyId: string; subscriptionIds: string[] }> {
  const { db } = database;
  const { agency } = await createAgencyService({ db, clock: systemClock }).createAgency({
    name: options.name, tier: 'scale', admin_email: options.email, admin_password: 'bench-password-1',
  });
  const box = createSecretBox(Buffer.from(options.secretKey, 'base64'));
  const subscriptionIds: string[] = [];
  for (const url of options.urls) {
    const now = new Date();
    const id = newId('whsub', now);
    await db.insertInto('webhook_subscriptions').values({
      id, agency_id: agency.id, url, events: JSON.stringify(['*']),
      secret_sealed: box.seal(generateWebhookSecret()), created_at: now, updated_at: now,
    }).execute();
    subscriptionIds.push(id);
  }
  return { agencyId: agency.id, subscriptionIds };
}

/** Writes `count` events straight into the outbox, 1,000 a statement, as committed and not yet fanned out. */
export async function insertEvents(database: Database, agencyId: string, count: number): Promise<void> {
  for (let offset = 0; offset < count; offset += 1000) {
    const at = new Date();
    const rows = Array.from({ length: Math.min(1000, count - offset) }, () => ({
      id: newId('evt', at), agency_id: agencyId, type: 'review.created', data: JSON.stringify(REVIEW), created_at: at,
    }));
    await database.db.insertInto('events').values(rows).execute();
  }
}

/** Successful attempts in FARO's delivery log. Read once a phase is over, never while it runs. */
export async function countSucceededAttempts(database: Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_delivery_attempts WHERE error_kind IS NULL`.execute(database.db);
  return rows[0]!.n;
}
