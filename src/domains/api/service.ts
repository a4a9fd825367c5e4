import type { Kysely } from 'kysely';
import type { AuditAction, DB, Executor, Tier } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { isId, newId } from '../../lib/ids.ts';
import { ApiError, notFound } from '../../kit/errors.ts';
import { findAgency, lockAgency } from '../agencies/repository.ts';
import { agencyHourlyLimit, agencyKeyCap, requireIntegrationsTier } from '../agencies/entitlements.ts';
import { SCOPE_DESCRIPTIONS, SCOPES, type Scope } from './auth-context.ts';
import { generateApiKey, maskApiKey } from './key-format.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { API_RATE_WINDOW_SECONDS, effectiveKeyLimit, limiterKeyForApiKey } from './rate-limit-policy.ts';
import * as repo from './repository.ts';
import { recordAudit } from '../audit/service.ts';
import {
  DEFAULT_GRACE_PERIOD_SECONDS,
  type ApiKey,
  type ApiKeyStatus,
  type CreateApiKeyInput,
  type KeyUsage,
  type NewApiKey,
  type RotateApiKeyInput,
} from './schemas.ts';

/** Who is changing keys: a portal user, or a FARO operator (userId null); and in which request. */
export interface Actor {
  userId: string | null;
  via: 'portal' | 'operator';
  requestId: string | null;
}

interface AgencyLimits {
  id: string;
  tier: Tier;
  api_rate_limit: number | null;
  /** Set on a sandbox: its keys are test keys. */
  live_agency_id: string | null;
}

export function keyStatus(row: { revoked_at: Date | null; expires_at: Date | null }, now: Date): ApiKeyStatus {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at <= now) return 'expired';
  return row.expires_at ? 'expiring' : 'active';
}

function toApiKey(row: repo.ApiKeyWithCreator, agency: AgencyLimits, now: Date): ApiKey {
  return {
    id: row.id,
    name: row.name,
    masked_key: maskApiKey(row.display_prefix, row.display_suffix),
    scopes: row.scopes as Scope[],
    status: keyStatus(row, now),
    rate_limit: effectiveKeyLimit(row.rate_limit, agency),
    custom_rate_limit: row.rate_limit,
    created_at: row.created_at.toISOString(),
    created_by: row.created_by && row.creator_email ? { id: row.created_by, email: row.creator_email } : null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    replaced_by: row.replaced_by,
  };
}

const invalid = (path: string, message: string, detail: string) =>
  new ApiError('validation_failed', detail, { errors: [{ path, message }] });

export function createApiKeyService(deps: {
  db: Kysely<DB>;
  clock: Clock;
  limiter: RateLimiter;
  /** Called after a key's state changed, so every instance drops its cached copy. */
  onKeyChanged(keyId: string): Promise<void>;
  /** Called with a new key's hash, so the guessing throttle never refuses it (see key-auth.ts). */
  onKeyCreated?(hash: string): void;
}) {
  const { db, clock, limiter } = deps;

  async function agencyOf(agencyId: string): Promise<AgencyLimits> {
    const agency = await findAgency(db, agencyId);
    if (!agency) throw notFound('agency');
    return agency;
  }

  async function keyOf(agencyId: string, id: string, executor: Executor = db): Promise<repo.ApiKeyWithCreator> {
    const row = isId('key', id) ? await repo.findKey(executor, agencyId, id) : undefined;
    if (!row) throw notFound('API key');
    return row;
  }

  async function audit(trx: Executor, agencyId: string, actor: Actor, action: AuditAction, keyId: string, details: Record<string, unknown>) {
    const auditActor = actor.via === 'operator' ? { type: 'operator' as const, id: null, requestId: actor.requestId } : { type: 'user' as const, id: actor.userId, requestId: actor.requestId };
    await recordAudit(trx, { agencyId, actor: auditActor, action, target: { type: 'api_key', id: keyId }, details, at: clock.now() });
  }

  async function insertNewKey(trx: Executor, agency: AgencyLimits, fields: { name: string; scopes: string[]; rate_limit: number | null; expires_at: Date | null; created_by: string | null }) {
    const now = clock.now();
    // A key's mode is its agency's: a sandbox's keys are test keys, a live agency's live ones.
    const secret = generateApiKey(agency.live_agency_id === null ? 'live' : 'test');
    const row = await repo.insertKey(trx, {
      id: newId('key', now),
      agency_id: agency.id,
      key_hash: secret.hash,
      name: fields.name,
      scopes: JSON.stringify(fields.scopes),
      rate_limit: fields.rate_limit,
      display_prefix: secret.displayPrefix,
      display_suffix: secret.displaySuffix,
      created_by: fields.created_by,
      created_at: now,
      expires_at: fields.expires_at,
    });
    deps.onKeyCreated?.(secret.hash);
    return { row, key: secret.key };
  }

  /**
   * The cap on active keys (agencies.max_api_keys, default 50), checked under the agency row's
   * lock so two concurrent creates at cap - 1 cannot both pass the count. Returns the cap.
   */
  async function lockAgencyKeys(trx: Executor, agencyId: string): Promise<number> {
    const locked = await lockAgency(trx, agencyId);
    if (!locked) throw notFound('agency');
    return agencyKeyCap(locked);
  }

  async function requireRoomForKey(trx: Executor, agencyId: string, actor: Actor): Promise<void> {
    const cap = await lockAgencyKeys(trx, agencyId);
    const { active } = await repo.countWorkingKeys(trx, agencyId, clock.now());
    if (active < cap) return;
    const raise = actor.via === 'operator'
      ? `raise the cap with PATCH /admin/v1/agencies/${agencyId} {"max_api_keys": <n>}`
      : 'ask FARO support to raise the cap';
    throw new ApiError('conflict', `This agency has ${active} active API keys and may hold at most ${cap}. Revoke a key it no longer uses, or ${raise}.`, {
      extensions: { max_api_keys: cap, active_api_keys: active },
    });
  }

  async function withCreator(row: repo.ApiKeyRow, agency: AgencyLimits, key: string): Promise<NewApiKey> {
    const full = await keyOf(agency.id, row.id);
    return { ...toApiKey(full, agency, clock.now()), key };
  }

  return {
    scopes: () => SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] })),

    async generate(agencyId: string, input: CreateApiKeyInput, actor: Actor): Promise<NewApiKey> {
      const agency = await agencyOf(agencyId);
      requireIntegrationsTier(agency.tier, 'API keys');
      const now = clock.now();
      const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at);
      if (expiresAt && !(expiresAt > now)) throw invalid('body.expires_at', 'must be in the future', 'expires_at must be in the future.');
      if (input.rate_limit !== undefined) {
        if (agency.tier !== 'enterprise') {
          throw invalid('body.rate_limit', 'only enterprise agencies can set a per-key limit', 'Per-key rate limits are an Enterprise feature.');
        }
        const max = agencyHourlyLimit(agency);
        if (input.rate_limit > max) throw invalid('body.rate_limit', `must be at most ${max}`, `rate_limit must be at most the agency's limit of ${max} requests/hour.`);
      }
      const { row, key } = await db.transaction().execute(async (trx) => {
        await requireRoomForKey(trx, agencyId, actor);
        const created = await insertNewKey(trx, agency, {
          name: input.name,
          scopes: input.scopes,
          rate_limit: input.rate_limit ?? null,
          expires_at: expiresAt,
          created_by: actor.userId,
        });
        await audit(trx, agencyId, actor, 'api_key.created', created.row.id, {
          name: input.name,
          scopes: input.scopes,
          expires_at: expiresAt?.toISOString() ?? null,
          rate_limit: input.rate_limit ?? null,
        });
        return created;
      });
      return withCreator(row, agency, key);
    },

    async list(agencyId: string): Promise<ApiKey[]> {
      const agency = await agencyOf(agencyId);
      const now = clock.now();
      return (await repo.listKeys(db, agencyId)).map((row) => toApiKey(row, agency, now));
    },

    async get(agencyId: string, id: string): Promise<ApiKey> {
      const agency = await agencyOf(agencyId);
      return toApiKey(await keyOf(agencyId, id), agency, clock.now());
    },

    /**
     * A new key with the same name, scopes and limit; the old one works for the grace period, then
     * stops. A rotation replaces a key, so it works at the cap: the cap counts the new key and not
     * the old one. What bounds the old ones is their own count: at most `cap` rotated keys may be
     * in a grace period at once (rotating with grace 0 always works), else chained rotations would
     * multiply the working keys without bound.
     */
    async rotate(agencyId: string, id: string, input: RotateApiKeyInput, actor: Actor): Promise<NewApiKey> {
      const agency = await agencyOf(agencyId);
      requireIntegrationsTier(agency.tier, 'API keys');
      const grace = input.grace_period_seconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
      const { row, key, oldId } = await db.transaction().execute(async (trx) => {
        const cap = await lockAgencyKeys(trx, agencyId);
        const old = isId('key', id) ? await repo.findKeyForUpdate(trx, agencyId, id) : undefined;
        if (!old) throw notFound('API key');
        const now = clock.now();
        const status = keyStatus(old, now);
        if (status === 'revoked' || status === 'expired') throw new ApiError('conflict', `This key is ${status}; generate a new key instead.`);
        if (old.replaced_by) throw new ApiError('conflict', `This key was already rotated; rotate its replacement ${old.replaced_by} instead.`);
        // The old key never lives longer than it was going to; the new one keeps its planned end of life.
        const graceEnd = new Date(now.getTime() + grace * 1000);
        const oldExpiresAt = old.expires_at && old.expires_at < graceEnd ? old.expires_at : graceEnd;
        if (oldExpiresAt > now) {
          const { replaced } = await repo.countWorkingKeys(trx, agencyId, now);
          if (replaced >= cap) {
            throw new ApiError('conflict', `This agency has ${replaced} rotated keys still working in their grace period, as many as its cap of ${cap} keys allows. Rotate with grace_period_seconds 0 (the old key stops at once), revoke a rotated key, or wait for a grace period to end.`, {
              extensions: { max_api_keys: cap, keys_in_grace_period: replaced },
            });
          }
        }
        const created = await insertNewKey(trx, agency, {
          name: old.name,
          scopes: old.scopes,
          rate_limit: old.rate_limit,
          expires_at: old.expires_at,
          created_by: actor.userId,
        });
        await repo.updateKey(trx, old.id, { expires_at: oldExpiresAt, replaced_by: created.row.id });
        await audit(trx, agencyId, actor, 'api_key.rotated', old.id, {
          new_key_id: created.row.id,
          grace_period_seconds: grace,
          old_key_expires_at: oldExpiresAt.toISOString(),
        });
        return { ...created, oldId: old.id };
      });
      await deps.onKeyChanged(oldId);
      return withCreator(row, agency, key);
    },

    /** Immediate and idempotent: revoking a revoked key changes nothing and logs nothing. */
    async revoke(agencyId: string, id: string, actor: Actor): Promise<ApiKey> {
      const agency = await agencyOf(agencyId);
      const changed = await db.transaction().execute(async (trx) => {
        const old = isId('key', id) ? await repo.findKeyForUpdate(trx, agencyId, id) : undefined;
        if (!old) throw notFound('API key');
        if (old.revoked_at) return false;
        await repo.updateKey(trx, old.id, { revoked_at: clock.now() });
        await audit(trx, agencyId, actor, 'api_key.revoked', old.id, { name: old.name });
        return true;
      });
      if (changed) await deps.onKeyChanged(id);
      return toApiKey(await keyOf(agencyId, id), agency, clock.now());
    },

    /** Requests the key made in the rolling hour, as the limiter counts them. */
    async usage(agencyId: string, id: string): Promise<KeyUsage> {
      const agency = await agencyOf(agencyId);
      const row = await keyOf(agencyId, id);
      const limit = effectiveKeyLimit(row.rate_limit, agency);
      const usage = await limiter.peek(limiterKeyForApiKey(row.id), limit, API_RATE_WINDOW_SECONDS);
      return {
        limit: usage.limit,
        used: usage.used,
        remaining: usage.remaining,
        window_seconds: usage.windowSeconds,
        // The portal's figure: seconds until another request is admitted (0 while any remain).
        reset_seconds: usage.remaining > 0 ? 0 : usage.resetSeconds,
      };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
