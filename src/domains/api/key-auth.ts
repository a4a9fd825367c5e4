import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { DB, Tier } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Scope } from './auth-context.ts';
import { createKeyInvalidationBus, type BusLogger } from './key-invalidation.ts';
import * as repo from './repository.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { KNOWN_KEY_WINDOW_SECONDS, limiterKeyForKnownKey } from './rate-limit-policy.ts';

/** What a request authenticated by an API key needs to know; cached per key hash. */
export interface KeyRecord {
  id: string;
  agencyId: string;
  scopes: readonly Scope[];
  rateLimit: number | null;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  /** The agency's tier and custom limit, as fresh as the cache entry. */
  tier: Tier;
  agencyRateLimit: number | null;
  /** False for a test key: its agency is a sandbox (a key's mode is its agency's, fixed at creation). */
  livemode: boolean;
}

/*
 * Entries live at most this long, which bounds how stale a tier change (or a revocation whose
 * message was lost) can be on any instance. At one indexed lookup per key per second per
 * instance the database barely notices; revocations normally arrive within milliseconds by message.
 */
export const KEY_CACHE_TTL_MS = 1_000;
/**
 * Keys found in the database are remembered this long (hashes only), so the guessing throttle,
 * which refuses lookups from an address that sent too many unknown keys, never refuses them.
 */
export const KNOWN_KEY_MEMORY_MS = 24 * 3600_000;
const REMARK_EVERY_MS = 3600_000;
/** last_used_at is written at most this often per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  key: KeyRecord;
  loadedAtMs: number;
}

function toRecord(row: repo.KeyAuthRow): KeyRecord {
  return {
    id: row.id,
    agencyId: row.agency_id,
    scopes: row.scopes as Scope[],
    rateLimit: row.rate_limit,
    expiresAtMs: row.expires_at?.getTime() ?? null,
    revokedAtMs: row.revoked_at?.getTime() ?? null,
    tier: row.tier,
    agencyRateLimit: row.agency_rate_limit,
    livemode: row.live_agency_id === null,
  };
}

export function createKeyAuthenticator(deps: {
  db: Kysely<DB>;
  database: Database;
  clock: Clock;
  logger: BusLogger;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** Its store also marks keys found lately, shared by every instance through Redis. */
  limiter: RateLimiter;
  /** False in a process that serves no API requests: it then opens no connection for key changes. */
  servesRequests?: boolean;
  /** A span per key-change message published on Redis inside a traced request. */
  traced?: boolean;
}) {
  const { db, clock, logger } = deps;
  const byHash = new Map<string, Entry>();
  const hashById = new Map<string, string>();
  const loading = new Map<string, Promise<KeyRecord | undefined>>();
  // Bumped by every invalidation: a lookup that started before it must not cache what it read.
  let generation = 0;
  const lastTouchedMs = new Map<string, number>();
  const markedAtMs = new Map<string, number>();
  const pendingWrites = new Set<Promise<void>>();
  let lastSweepMs = clock.now().getTime();

  function forget(keyId: string): void {
    generation += 1;
    loading.clear();
    const hash = hashById.get(keyId);
    if (hash !== undefined) byHash.delete(hash);
    hashById.delete(keyId);
  }

  function forgetAll(): void {
    generation += 1;
    loading.clear();
    byHash.clear();
    hashById.clear();
  }

  const bus = createKeyInvalidationBus({ ...deps, transport: deps.servesRequests === false ? 'none' : 'auto' }, { onKeyChanged: forget, onResync: forgetAll });

  const fresh = (loadedAtMs: number, nowMs: number) => nowMs >= loadedAtMs && nowMs - loadedAtMs < KEY_CACHE_TTL_MS;

  function sweep(nowMs: number): void {
    if (nowMs - lastSweepMs < SWEEP_EVERY_MS && nowMs >= lastSweepMs) return;
    lastSweepMs = nowMs;
    for (const [hash, entry] of byHash) {
      if (fresh(entry.loadedAtMs, nowMs)) continue;
      byHash.delete(hash);
      hashById.delete(entry.key.id);
    }
    for (const [id, at] of lastTouchedMs) {
      if (nowMs - at >= LAST_USED_RESOLUTION_MS || nowMs < at) lastTouchedMs.delete(id);
    }
    for (const [hash, at] of markedAtMs) {
      if (nowMs - at >= KNOWN_KEY_MEMORY_MS || nowMs < at) markedAtMs.delete(hash);
    }
  }

  function isKnown(hash: string): boolean {
    const at = markedAtMs.get(hash);
    const nowMs = clock.now().getTime();
    return at !== undefined && nowMs >= at && nowMs - at < KNOWN_KEY_MEMORY_MS;
  }

  /** Known here at once, and to every instance through the limiter's store (a count in a one-day window). */
  async function remember(hash: string): Promise<void> {
    markedAtMs.set(hash, clock.now().getTime());
    await deps.limiter.consume(limiterKeyForKnownKey(hash), 1, KNOWN_KEY_WINDOW_SECONDS);
  }

  async function load(hash: string): Promise<KeyRecord | undefined> {
    const startedAt = generation;
    const row = await repo.findKeyForAuth(db, hash);
    if (!row) return undefined;
    const key = toRecord(row);
    // Marked again hourly while in use, so a key in use never drops out of either memory.
    const markedAt = markedAtMs.get(hash);
    if (markedAt === undefined || clock.now().getTime() - markedAt >= REMARK_EVERY_MS) await remember(hash);
    if (startedAt === generation) {
      byHash.set(hash, { key, loadedAtMs: clock.now().getTime() });
      hashById.set(key.id, hash);
    }
    return key;
  }

  /** The key with this hash if this instance holds a fresh copy; never queries. */
  function cached(hash: string): KeyRecord | undefined {
    const nowMs = clock.now().getTime();
    sweep(nowMs);
    const hit = byHash.get(hash);
    return hit && fresh(hit.loadedAtMs, nowMs) ? hit.key : undefined;
  }

  return {
    ready: bus.ready,

    cached,

    /** Whether this instance found or created a key with this hash within KNOWN_KEY_MEMORY_MS. */
    isKnown,

    /** Whether any instance did (the shared mark); one limiter call. */
    async isKnownElsewhere(hash: string): Promise<boolean> {
      return (await deps.limiter.peek(limiterKeyForKnownKey(hash), 1, KNOWN_KEY_WINDOW_SECONDS)).used > 0;
    },

    /** A key was just created: it is known before its first use. */
    keyCreated(hash: string): void {
      remember(hash).catch((err: unknown) => logger.warn({ err }, 'could not mark a new API key as known to other instances'));
    },

    /** The key with this SHA-256 hash (any status), or undefined when there is none; `admit` runs (once) before a query, and may refuse it by throwing. */
    async lookup(hash: string, admit?: () => Promise<void>): Promise<KeyRecord | undefined> {
      const hit = cached(hash);
      if (hit) return hit;
      // Concurrent requests with the same key share one query, and one `admit` (the guessing
      // throttle's reservation), so a burst of first uses of a new key counts once.
      let pending = loading.get(hash);
      if (!pending) {
        const started = admit ? admit().then(() => load(hash)) : load(hash);
        pending = started;
        loading.set(hash, started);
        const done = () => {
          if (loading.get(hash) === started) loading.delete(hash);
        };
        started.then(done, done);
      }
      return pending;
    },

    /** Record that the key was used; at most one write a minute, never awaited by the request. */
    touch(keyId: string): void {
      const now = clock.now();
      const nowMs = now.getTime();
      const last = lastTouchedMs.get(keyId);
      if (last !== undefined && nowMs >= last && nowMs - last < LAST_USED_RESOLUTION_MS) return;
      lastTouchedMs.set(keyId, nowMs);
      const write: Promise<void> = repo
        .touchLastUsed(db, keyId, now, LAST_USED_RESOLUTION_MS)
        .catch((err: unknown) => {
          lastTouchedMs.delete(keyId);
          logger.warn({ err, keyId }, 'could not record last_used_at of an API key');
        })
        .then(() => {
          pendingWrites.delete(write);
        });
      pendingWrites.add(write);
    },

    /** A key changed (revoked, rotated): drop it here at once and tell the other instances. */
    async keyChanged(keyId: string): Promise<void> {
      forget(keyId);
      await bus.publish(keyId);
    },

    async close(): Promise<void> {
      await Promise.all(pendingWrites);
      await bus.close();
      forgetAll();
    },
  };
}

export type KeyAuthenticator = ReturnType<typeof createKeyAuthenticator>;
