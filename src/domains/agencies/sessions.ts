import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../http/errors.ts';
import type { RateLimiter } from '../api/rate-limiter.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import * as repo from './repository.ts';
import { agencyHourlyLimit } from './entitlements.ts';
import type { SessionViewType } from './schemas.ts';

/** Failed logins allowed per window, per email and per client address. */
const LOGIN_FAILURES_PER_EMAIL = 10;
const LOGIN_FAILURES_PER_ADDRESS = 50;
const LOGIN_WINDOW_SECONDS = 15 * 60;

export interface PortalSession {
  sessionId: string;
  csrfToken: string;
  user: { id: string; email: string; name: string; role: 'owner' | 'admin' | 'member' };
  agency: { id: string; name: string; tier: 'starter' | 'growth' | 'scale' | 'enterprise'; api_rate_limit: number | null };
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function sessionView(session: PortalSession): SessionViewType {
  return {
    user: session.user,
    agency: { ...session.agency, api_rate_limit: agencyHourlyLimit(session.agency) },
    csrf_token: session.csrfToken,
  };
}

export function createSessionService(deps: { db: Kysely<DB>; clock: Clock; limiter: RateLimiter; ttlHours: number }) {
  const { db, clock, limiter } = deps;
  // Verifying against a real hash when the email is unknown keeps response times alike,
  // so timing does not reveal which emails have accounts.
  const dummyHash = hashPassword(randomBytes(16).toString('hex'));

  async function throttled(keys: [string, number][]): Promise<number | null> {
    for (const [key, limit] of keys) {
      const usage = await limiter.peek(key, limit, LOGIN_WINDOW_SECONDS);
      if (usage.remaining <= 0) return Math.max(1, usage.resetSeconds);
    }
    return null;
  }

  async function resolve(token: string | undefined): Promise<PortalSession | undefined> {
    if (!token || token.length > 200) return undefined;
    const row = await repo.findLiveSession(db, hashToken(token), clock.now());
    if (!row) return undefined;
    return {
      sessionId: row.session_id,
      csrfToken: row.csrf_token,
      user: { id: row.user_id, email: row.email, name: row.user_name, role: row.role },
      agency: { id: row.agency_id, name: row.agency_name, tier: row.tier, api_rate_limit: row.api_rate_limit },
    };
  }

  return {
    /** Check the password and open a session; returns the cookie value (only ever seen here). */
    async login(email: string, password: string, address: string): Promise<{ token: string; expiresAt: Date; session: PortalSession }> {
      const keys: [string, number][] = [
        [`login:email:${email.toLowerCase()}`, LOGIN_FAILURES_PER_EMAIL],
        [`login:addr:${address}`, LOGIN_FAILURES_PER_ADDRESS],
      ];
      const retryAfter = await throttled(keys);
      if (retryAfter !== null) {
        throw new ApiError('login_throttled', `Too many failed logins; try again in ${retryAfter} seconds.`, {
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      const user = await repo.findUserByEmail(db, email);
      const valid = await verifyPassword(password, user?.password_hash ?? (await dummyHash));
      if (!user || !valid) {
        for (const [key, limit] of keys) await limiter.consume(key, limit, LOGIN_WINDOW_SECONDS);
        throw new ApiError('invalid_credentials');
      }
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + deps.ttlHours * 3600_000);
      await repo.insertSession(db, {
        id: hashToken(token),
        user_id: user.id,
        agency_id: user.agency_id,
        csrf_token: randomBytes(24).toString('base64url'),
        created_at: now,
        expires_at: expiresAt,
      });
      const session = await resolve(token);
      if (!session) throw new Error('session vanished right after creation');
      return { token, expiresAt, session };
    },

    resolve,

    async logout(sessionId: string): Promise<void> {
      await repo.deleteSession(db, sessionId);
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
