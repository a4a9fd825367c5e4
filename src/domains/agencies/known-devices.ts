import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Clock } from '../../lib/clock.ts';

/** How long a browser stays "known" after its last successful sign-in. */
export const KNOWN_DEVICE_DAYS = 90;
// A shared office browser may serve a few people; more than this and the oldest is forgotten.
const USERS_PER_DEVICE = 5;
const MAX_TOKEN_LENGTH = 1024;

/** A browser that has signed in before, and as whom. */
export interface KnownDevice {
  id: string;
  userIds: string[];
}

// The HMAC key is derived, never FARO_SECRET_KEY itself, which is the webhook secrets' AES key.
function deriveKey(base64Key: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(base64Key, 'base64'), Buffer.alloc(0), 'faro/portal/known-device/v1', 32));
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/**
 * Signed "known device" tokens: `base64url(JSON {d, u, e}).base64url(HMAC-SHA256)` with the device
 * id, the user ids it signed in as, and the expiry (unix seconds). The server never stores them;
 * tokens signed with a previous FARO_SECRET_KEY still verify until they expire.
 */
export function createKnownDevices(deps: { clock: Clock; config: Pick<Config, 'secretKey' | 'previousSecretKeys'> }) {
  const { clock, config } = deps;
  // main.ts always supplies a key; without one (a bare test config) tokens last as long as the process.
  const keys = [config.secretKey ? deriveKey(config.secretKey) : randomBytes(32), ...config.previousSecretKeys.map(deriveKey)];

  function verify(token: string | undefined): KnownDevice | undefined {
    if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0) return undefined;
    const sent = Buffer.from(signature);
    const genuine = keys.some((key) => {
      const expected = Buffer.from(sign(key, payload));
      return sent.length === expected.length && timingSafeEqual(sent, expected);
    });
    if (!genuine) return undefined;
    let claims: { d?: unknown; u?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return undefined;
    }
    const { d, u, e } = claims;
    if (typeof d !== 'string' || typeof e !== 'number' || !Array.isArray(u) || !u.every((id) => typeof id === 'string')) return undefined;
    if (e * 1000 <= clock.now().getTime()) return undefined;
    return { id: d, userIds: u as string[] };
  }

  /** A fresh token for this browser, now also known as `userId`, valid KNOWN_DEVICE_DAYS from now. */
  function issue(previous: KnownDevice | undefined, userId: string): { token: string; expiresAt: Date } {
    const expiresAt = new Date(clock.now().getTime() + KNOWN_DEVICE_DAYS * 86_400_000);
    const claims = {
      d: previous?.id ?? randomBytes(16).toString('base64url'),
      u: [userId, ...(previous?.userIds.filter((id) => id !== userId) ?? [])].slice(0, USERS_PER_DEVICE),
      e: Math.floor(expiresAt.getTime() / 1000),
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${payload}.${sign(keys[0]!, payload)}`, expiresAt };
  }

  return { verify, issue };
}
