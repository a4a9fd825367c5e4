import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { ApiError } from '../../kit/errors.ts';
import type { Config } from '../../config.ts';
import type { RateLimiter } from '../api/rate-limiter.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { createKnownDevices } from './known-devices.ts';
import * as repo from './repository.ts';
import { agencyHourlyLimit } from './entitlements.ts';
import type { SessionViewType } from './schemas.ts';

/*
 * Login attempts allowed per window. Each attempt is reserved (counted) before the password is
 * checked, so a burst cannot slip past the limit; successes count too, as the limiter cannot
 * un-count. A browser that signed in as the user before (a known device) draws on its own budget
 * instead of the shared ones, so flooding an email or an address cannot lock its owner out there.
 */
const LOGIN_ATTEMPTS_PER_EMAIL = 10;
const LOGIN_ATTEMPTS_PER_ADDRESS = 50;
const LOGIN_ATTEMPTS_PER_KNOWN_DEVICE = 10;
const LOGIN_WINDOW_SECONDS = 15 * 60;

export interface LoginAttempt {
  email: string;
  password: string;
  /** The client address, for the per-address budget. */
  address: string;
  /** The known-device cookie, if the browser sent one. */
  deviceToken?: string | undefined;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  session: PortalSession;
  /** The known-device cookie to set (re-issued on every successful login). */
  device: { token: string; expiresAt: Date };
}

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

export function createSessionService(deps: {
  db: Kysely<DB>;
  clock: Clock;
  limiter: RateLimiter;
  ttlHours: number;
  config: Pick<Config, 'secretKey' | 'previousSecretKeys'>;
}) {
  const { db, clock, limiter } = deps;
  const devices = createKnownDevices(deps);
  // Verifying against a real hash when the email is unknown keeps response times alike,
  // so timing does not reveal which emails have accounts.
  const dummyHash = hashPassword(randomBytes(16).toString('hex'));

  /** Counts the attempt against each budget in turn; the first one spent refuses it, and those after it are not charged. */
  async function reserve(budgets: [string, number][]): Promise<void> {
    for (const [key, limit] of budgets) {
      const decision = await limiter.consume(key, limit, LOGIN_WINDOW_SECONDS);
      if (!decision.allowed) {
        const retryAfter = decision.retryAfterSeconds ?? 1;
        // One answer for every budget, and for emails with or without an account.
        throw new ApiError('login_throttled', `Too many login attempts; try again in ${retryAfter} seconds.`, {
          retryAfterSeconds: retryAfter,
        });
      }
    }
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
    /** Check the password and open a session; returns the cookie values (only ever seen here). */
    async login(attempt: LoginAttempt): Promise<LoginResult> {
      const { email, password, address } = attempt;
      const device = devices.verify(attempt.deviceToken);
      // Only a genuine device token costs a lookup before counting; everyone else is counted first.
      const early = device ? await repo.findUserByEmail(db, email) : undefined;
      if (device && early && device.userIds.includes(early.id)) {
        await reserve([[`login:device:${device.id}:${early.id}`, LOGIN_ATTEMPTS_PER_KNOWN_DEVICE]]);
      } else {
        // The address first: an address already refused does not spend the email's budget too.
        await reserve([
          [`login:addr:${address}`, LOGIN_ATTEMPTS_PER_ADDRESS],
          [`login:email:${email.toLowerCase()}`, LOGIN_ATTEMPTS_PER_EMAIL],
        ]);
      }
      const user = device ? early : await repo.findUserByEmail(db, email);
      const valid = await verifyPassword(password, user?.password_hash ?? (await dummyHash));
      if (!user || !valid) throw new ApiError('invalid_credentials');
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
      return { token, expiresAt, session, device: devices.issue(device, user.id) };
    },

    resolve,

    async logout(sessionId: string): Promise<void> {
      await repo.deleteSession(db, sessionId);
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
