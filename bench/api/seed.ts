// The bench database: a fresh Postgres database per run, one enterprise agency with one location
// and 500 reviews, and the API keys the variants send.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createAgencyService } from '../../src/domains/agencies/service.ts';
import { createResourceServices } from '../../src/services.ts';
import { createApiKeyService } from '../../src/domains/api/service.ts';
import { createMemoryRateLimiter } from '../../src/domains/api/rate-limiter.ts';
import type { Scope } from '../../src/domains/api/auth-context.ts';

/** The agency's hourly limit: high enough that no variant is ever refused (the check still runs in full). */
export const AGENCY_RATE_LIMIT = 10_000_000;

export interface BenchKey {
  id: string;
  key: string;
}

export interface Seeded {
  agencyId: string;
  locationId: string;
  /** Used by every "fresh key" variant: its window fills only with the bench's own requests. */
  freshKey: BenchKey;
  /** One per round, its window filled just before that round (bench/api/full-window.ts). */
  fullWindowKeys: BenchKey[];
}

export interface BenchDatabase {
  url: string;
  name: string;
  /** A connection to the server's maintenance database, open until drop(). */
  admin: pg.Client;
  drop(): Promise<void>;
}

export async function createBenchDatabase(baseUrl: string): Promise<BenchDatabase> {
  const name = `faro_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    url: Object.assign(new URL(baseUrl), { pathname: `/${name}` }).toString(),
    name,
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export async function seed(url: string, fullWindowKeyCount: number): Promise<Seeded> {
  const database = await openPostgres(url, 4);
  try {
    await migrate(database.db);
    const { agency } = await createAgencyService({ db: database.db, clock: systemClock }).createAgency({
      name: 'Bench agency',
      tier: 'enterprise',
      admin_email: 'bench@agency.test',
      admin_password: 'bench-password-1',
      api_rate_limit: AGENCY_RATE_LIMIT,
    });
    const services = createResourceServices({ db: database.db, clock: systemClock });
    const location = await services.locations.create(agency.id, { name: 'Bench location', city: 'Lisbon', phone: '+351 21 000 0000' });
    for (let i = 0; i < 500; i++) {
      await services.reviews.create(agency.id, { location_id: location.id, source: 'google', rating: 1 + (i % 5), author_name: `Reviewer ${i}`, body: 'Great service, would come back. '.repeat(3) });
    }
    const apiKeys = createApiKeyService({ db: database.db, clock: systemClock, limiter: createMemoryRateLimiter({}), onKeyChanged: async () => {} });
    const scopes: Scope[] = ['reviews:read', 'locations:read'];
    const generate = async (name: string): Promise<BenchKey> => {
      const created = await apiKeys.generate(agency.id, { name, scopes }, { userId: null, via: 'operator', requestId: null });
      return { id: created.id, key: created.key };
    };
    const freshKey = await generate('bench fresh');
    const fullWindowKeys: BenchKey[] = [];
    for (let i = 0; i < fullWindowKeyCount; i++) fullWindowKeys.push(await generate(`bench full window ${i + 1}`));
    return { agencyId: agency.id, locationId: location.id, freshKey, fullWindowKeys };
  } finally {
    await database.close();
  }
}
