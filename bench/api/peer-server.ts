// The peer FARO's public API is compared with: a minimal Fastify + pg server answering
// GET /locations/:id with the query FARO's repository sends, and under /limited the same route
// behind what a typical Fastify service would write for API keys: a cached key lookup (SHA-256,
// one indexed query per key per second) and @fastify/rate-limit on Redis, one counter per key.
// argv: database URL, Redis URL, agency id (for the route without a key), Redis key prefix.
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AGENCY_RATE_LIMIT } from './seed.ts';

const [databaseUrl, redisUrl, agencyId, redisKeyPrefix] = process.argv.slice(2) as [string, string, string, string];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const redis = new Redis(redisUrl);

// Kysely's text for repo.findLocation, so Postgres does the same work for both servers.
const FIND_LOCATION = 'select * from "locations" where "agency_id" = $1 and "id" = $2';
const FIND_KEY = 'select "id", "agency_id", "scopes", "expires_at", "revoked_at" from "api_keys" where "key_hash" = $1';
const KEY_TTL_MS = 1_000;

interface Key {
  id: string;
  agencyId: string;
  scopes: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    key: Key | null;
  }
}

async function findLocation(agency: string, id: string) {
  const { rows } = await pool.query(FIND_LOCATION, [agency, id]);
  return rows[0];
}

const keys = new Map<string, { key: Key | null; loadedAt: number }>();
async function lookupKey(token: string): Promise<Key | null> {
  const hash = createHash('sha256').update(token).digest('hex');
  const hit = keys.get(hash);
  if (hit && Date.now() - hit.loadedAt < KEY_TTL_MS) return hit.key;
  const { rows } = await pool.query(FIND_KEY, [hash]);
  const row = rows[0] as { id: string; agency_id: string; scopes: string[]; expires_at: Date | null; revoked_at: Date | null } | undefined;
  const key = row ? { id: row.id, agencyId: row.agency_id, scopes: row.scopes, expiresAt: row.expires_at, revokedAt: row.revoked_at } : null;
  keys.set(hash, { key, loadedAt: Date.now() });
  return key;
}

const app = Fastify({ logger: false });
app.decorateRequest('key', null);

app.get<{ Params: { id: string } }>('/locations/:id', async (request, reply) => {
  const row = await findLocation(agencyId, request.params.id);
  return row ?? reply.code(404).send({ error: 'not found' });
});

await app.register(async (limited: FastifyInstance) => {
  limited.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const key = token ? await lookupKey(token) : null;
    if (!key || key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= Date.now())) return reply.code(401).send({ error: 'unauthorized' });
    if (!key.scopes.includes('locations:read')) return reply.code(403).send({ error: 'forbidden' });
    request.key = key;
  });
  await limited.register(rateLimit, {
    redis,
    nameSpace: `${redisKeyPrefix}peer:`,
    max: AGENCY_RATE_LIMIT,
    timeWindow: 3_600_000,
    keyGenerator: (request) => request.key!.id,
  });
  limited.get<{ Params: { id: string } }>('/locations/:id', async (request, reply) => {
    const row = await findLocation(request.key!.agencyId, request.params.id);
    return row ?? reply.code(404).send({ error: 'not found' });
  });
}, { prefix: '/limited' });

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ url });
process.on('SIGTERM', () => {
  void app.close().then(() => pool.end()).then(() => redis.quit()).then(() => process.exit(0));
});
