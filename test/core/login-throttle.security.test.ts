import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, type TestAgency } from '../support/fixtures.ts';

// Real HTTP on a listening app. It trusts X-Forwarded-For so that each test speaks from its own
// client address and the per-address budgets of different tests never mix.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { trustProxy: true } });
});
afterAll(async () => t?.close());

let lastAddress = 0;
const newAddress = () => `198.51.${Math.floor(++lastAddress / 250)}.${(lastAddress % 250) + 1}`;

interface Answer {
  /** `401 invalid_credentials`, `429 login_throttled` or `200` */
  outcome: string;
  body: Record<string, unknown>;
  retryAfter: string | null;
  /** The known-device token the answer set, if any. */
  device: string | undefined;
  session: string | undefined;
}

async function attempt(app: TestApp, email: string, password: string, from: { address: string; device?: string }): Promise<Answer> {
  const response = await fetch(`${app.url}/portal/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from.address, ...(from.device ? { cookie: `faro_device=${from.device}` } : {}) },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const cookie = (name: string) =>
    response.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${name}=`))
      ?.split(';')[0]!
      .slice(name.length + 1);
  return {
    outcome: response.status === 200 ? '200' : `${response.status} ${String(body.code)}`,
    body,
    retryAfter: response.headers.get('retry-after'),
    device: cookie('faro_device'),
    session: cookie('faro_session'),
  };
}

/** `count` simultaneous attempts; returns how many got each outcome. */
async function burst(count: number, make: (i: number) => Promise<Answer>): Promise<Record<string, number>> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => make(i)));
  const tally: Record<string, number> = {};
  for (const { outcome } of answers) tally[outcome] = (tally[outcome] ?? 0) + 1;
  return tally;
}

/** Signs in from a fresh address and returns the known-device token it was given. */
async function signIn(app: TestApp, agency: TestAgency, device?: string): Promise<string> {
  const answer = await attempt(app, agency.email, agency.password, { address: newAddress(), ...(device ? { device } : {}) });
  expect(answer.outcome).toBe('200');
  expect(answer.device).toBeTruthy();
  return answer.device!;
}

/** Spends what is left of the email's budget from new clients. */
async function lockEmail(app: TestApp, email: string): Promise<void> {
  await burst(12, (i) => attempt(app, email, `wrong-${i}`, { address: newAddress() }));
  expect((await attempt(app, email, 'wrong-again', { address: newAddress() })).outcome).toBe('429 login_throttled');
}

const wrong = '401 invalid_credentials';
const throttled = '429 login_throttled';

// Each attempt that is let through runs scrypt; two cores take a while over dozens of them.
describe('login budgets are reserved before the password check', { timeout: 120_000 }, () => {
  it('lets exactly 10 of 40 simultaneous wrong passwords for one email reach the check; the rest get 429', async () => {
    const victim = await createAgency(t.app);
    const address = newAddress();
    expect(await burst(40, (i) => attempt(t, victim.email, `wrong-${i}`, { address }))).toEqual({ [wrong]: 10, [throttled]: 30 });

    const correct = await attempt(t, victim.email, victim.password, { address: newAddress() });
    expect(correct.outcome).toBe(throttled);
    expect(Number(correct.retryAfter)).toBeGreaterThan(0);
    expect(correct.session).toBeUndefined();
    expect(correct.device).toBeUndefined();
  });

  it('locks an email with no account exactly the same way, so a lockout does not reveal accounts', async () => {
    const victim = await createAgency(t.app);
    const nobody = `nobody-${victim.id}@agency.test`;
    const address = newAddress();
    expect(await burst(40, (i) => attempt(t, nobody, `wrong-${i}`, { address }))).toEqual({ [wrong]: 10, [throttled]: 30 });
    expect(await burst(40, (i) => attempt(t, victim.email, `wrong-${i}`, { address }))).toEqual({ [wrong]: 10, [throttled]: 30 });

    const strip = ({ request_id: _r, detail: _d, ...rest }: Record<string, unknown>) => rest;
    const known = await attempt(t, victim.email, 'wrong-again', { address: newAddress() });
    const unknown = await attempt(t, nobody, 'wrong-again', { address: newAddress() });
    expect(strip(unknown.body)).toEqual(strip(known.body));
    expect(unknown.body.detail).toMatch(/^Too many login attempts; try again in \d+ seconds\.$/);
  });

  it('lets exactly 50 of 60 simultaneous wrong logins from one address reach the check; a browser known to the user still gets in from there', async () => {
    const user = await createAgency(t.app);
    const device = await signIn(t, user);
    const office = newAddress();
    expect(await burst(60, (i) => attempt(t, `spray-${i}-${user.id}@agency.test`, 'wrong-password', { address: office }))).toEqual({
      [wrong]: 50,
      [throttled]: 10,
    });

    expect((await attempt(t, user.email, user.password, { address: office })).outcome).toBe(throttled);
    // A browser that signed in before is not held by its address's budget.
    expect((await attempt(t, user.email, user.password, { address: office, device })).outcome).toBe('200');
    // The refused attempts did not spend the user's email budget: another address signs in.
    expect((await attempt(t, user.email, user.password, { address: newAddress() })).outcome).toBe('200');
  });
});

describe.runIf(process.env.TEST_REDIS_URL)('login budgets shared through Redis', { timeout: 120_000 }, () => {
  it('lets exactly 10 of 40 simultaneous wrong passwords, split over two instances, reach the check', async () => {
    const redisKeyPrefix = `faro:test:${randomBytes(6).toString('hex')}:`;
    const a = await createTestApp({ database: t.database, redisKeyPrefix, listen: true, config: { trustProxy: true } });
    const b = await createTestApp({ database: t.database, redisKeyPrefix, listen: true, config: { trustProxy: true } });
    try {
      const victim = await createAgency(a.app);
      const address = newAddress();
      expect(await burst(40, (i) => attempt(i % 2 ? a : b, victim.email, `wrong-${i}`, { address }))).toEqual({ [wrong]: 10, [throttled]: 30 });
      expect((await attempt(b, victim.email, victim.password, { address: newAddress() })).outcome).toBe(throttled);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('a browser that signed in before keeps its own budget', { timeout: 120_000 }, () => {
  it('accepts the right password from it while the email is locked for everyone else', async () => {
    const victim = await createAgency(t.app);
    const device = await signIn(t, victim);

    const attacker = newAddress();
    // The sign-in above spent one of the email's 10.
    expect(await burst(40, (i) => attempt(t, victim.email, `wrong-${i}`, { address: attacker }))).toEqual({ [wrong]: 9, [throttled]: 31 });
    expect((await attempt(t, victim.email, victim.password, { address: newAddress() })).outcome).toBe(throttled);

    const known = await attempt(t, victim.email, victim.password, { address: attacker, device });
    expect(known.outcome).toBe('200');
    const me = await fetch(`${t.url}/portal/api/me`, { headers: { cookie: `faro_session=${known.session}` } });
    expect(me.status).toBe(200);
  });

  it('still limits a stolen device token: 10 attempts per window on its own budget', async () => {
    const victim = await createAgency(t.app);
    const device = await signIn(t, victim);
    const thief = newAddress();
    expect(await burst(40, (i) => attempt(t, victim.email, `wrong-${i}`, { address: thief, device }))).toEqual({ [wrong]: 10, [throttled]: 30 });
    expect((await attempt(t, victim.email, victim.password, { address: thief, device })).outcome).toBe(throttled);
    // The shared budgets were not touched by the device's attempts.
    expect((await attempt(t, victim.email, victim.password, { address: newAddress() })).outcome).toBe('200');
  });

  it('gives no bypass to a tampered, forged or foreign-key device token', async () => {
    const victim = await createAgency(t.app);
    const genuine = await signIn(t, victim);
    await lockEmail(t, victim.email);

    const [payload, signature] = genuine.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { d: string; u: string[]; e: number };
    const reencode = (changed: object) => Buffer.from(JSON.stringify(changed)).toString('base64url');
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

    // A second instance on the same database, but with its own FARO_SECRET_KEY.
    const other = await createTestApp({ database: t.database, listen: true, config: { trustProxy: true } });
    let foreign: string;
    try {
      foreign = await signIn(other, victim);
    } finally {
      await other.close();
    }

    const forgeries = [
      `${reencode({ ...claims, d: 'another-device' })}.${signature}`,
      `${reencode({ ...claims, e: claims.e + 86_400 })}.${signature}`,
      `${payload}.${flip(signature, 10)}`,
      `${payload}.`,
      payload,
      `${payload}.${signature}.${signature}`,
      'not-a-token',
      foreign,
    ];
    for (const device of forgeries) {
      expect((await attempt(t, victim.email, victim.password, { address: newAddress(), device })).outcome, device).toBe(throttled);
    }
    expect((await attempt(t, victim.email, victim.password, { address: newAddress(), device: genuine })).outcome).toBe('200');
  });

  it("does not let user A's device token help user B", async () => {
    const a = await createAgency(t.app);
    const b = await createAgency(t.app);
    const device = await signIn(t, a);
    await lockEmail(t, b.email);

    expect((await attempt(t, b.email, b.password, { address: newAddress(), device })).outcome).toBe(throttled);
    expect((await attempt(t, a.email, a.password, { address: newAddress(), device })).outcome).toBe('200');
  });

  it('remembers every user who signed in on the browser', async () => {
    const a = await createAgency(t.app);
    const b = await createAgency(t.app);
    const device = await signIn(t, b, await signIn(t, a));
    await lockEmail(t, a.email);
    await lockEmail(t, b.email);

    expect((await attempt(t, a.email, a.password, { address: newAddress(), device })).outcome).toBe('200');
    expect((await attempt(t, b.email, b.password, { address: newAddress(), device })).outcome).toBe('200');
  });
});

describe('known-device lifetime', { timeout: 120_000 }, () => {
  it('forgets a browser 90 days after its last sign-in; each sign-in renews it', async () => {
    const clock = createManualClock();
    const timed = await createTestApp({ database: t.database, clock, listen: true, config: { trustProxy: true } });
    try {
      const user = await createAgency(timed.app);
      const first = await signIn(timed, user);

      clock.advance(89 * 86_400_000);
      await lockEmail(timed, user.email);
      const renewed = await attempt(timed, user.email, user.password, { address: newAddress(), device: first });
      expect(renewed.outcome).toBe('200');
      expect(renewed.device).not.toBe(first);

      clock.advance(2 * 86_400_000);
      await lockEmail(timed, user.email);
      expect((await attempt(timed, user.email, user.password, { address: newAddress(), device: first })).outcome).toBe(throttled);
      expect((await attempt(timed, user.email, user.password, { address: newAddress(), device: renewed.device! })).outcome).toBe('200');
    } finally {
      await timed.close();
    }
  });
});
