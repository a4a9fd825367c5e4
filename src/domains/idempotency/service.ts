import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../kit/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import * as repo from './repository.ts';

/*
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), per agency:
 * - the first request with a key claims it, runs, and stores its response in the same
 *   transaction as the change it made (so a crash leaves neither);
 * - a retry with the same key and the same request replays that response;
 * - the same key with a different request is a 422, and a retry while the first still runs a 409;
 * - a failed request releases its key, so the retry runs anew; only successes are replayed;
 * - records live 24 h, then are ignored and pruned.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long an in-progress claim protects itself; beyond it a crashed request's key is reusable. */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

export interface IdempotentRequest {
  agencyId: string;
  key: string;
  /** From `fingerprintRequest`: what "the same request" means. */
  fingerprint: string;
}

export interface StoredResponse<T> {
  status: number;
  body: T;
}

/** JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function fingerprintRequest(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

export function createIdempotencyService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  return {
    /**
     * Run `work` at most once per (agency, key). `work` gets the transaction in which the
     * response is recorded and must make its changes in it.
     */
    async run<T>(
      request: IdempotentRequest,
      work: (trx: Executor) => Promise<StoredResponse<T>>,
    ): Promise<StoredResponse<T> & { replayed: boolean }> {
      const now = clock.now();
      const claim = { agencyId: request.agencyId, key: request.key, claimToken: randomBytes(16).toString('hex') };
      const claimed = await repo.claimKey(db, {
        ...claim,
        fingerprint: request.fingerprint,
        now,
        lockedUntil: new Date(now.getTime() + IDEMPOTENCY_LEASE_MS),
        expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      });
      if (!claimed) return { ...(await replay<T>(request, now)), replayed: true };

      try {
        const response = await inTransaction(db, async (trx) => {
          const result = await work(trx);
          if (!(await repo.completeKey(trx, claim, result))) {
            // Our lease ran out and a retry took the key over: let that one win.
            throw new ApiError('idempotency_key_in_progress', 'This request took too long and a retry with the same Idempotency-Key took over.');
          }
          return result;
        });
        return { ...response, replayed: false };
      } catch (error) {
        await repo.releaseKey(db, claim).catch(() => undefined);
        throw error;
      }
    },

  };

  async function replay<T>(request: IdempotentRequest, now: Date): Promise<StoredResponse<T>> {
    const record = await repo.findKey(db, request.agencyId, request.key);
    // Gone between claim and read (released by a failed first request): the client may retry.
    if (!record || record.expires_at <= now) {
      throw new ApiError('idempotency_key_in_progress', 'A request with this Idempotency-Key just finished without a stored response; retry it.');
    }
    if (record.fingerprint !== request.fingerprint) {
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.',
      );
    }
    if (record.state !== 'completed' || record.response_status === null) {
      throw new ApiError('idempotency_key_in_progress', 'The first request with this Idempotency-Key is still running; retry shortly.', {
        retryAfterSeconds: 1,
      });
    }
    return { status: record.response_status, body: record.response_body as T };
  }
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
