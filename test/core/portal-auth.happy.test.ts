import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, login, type TestAgency } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';
import { createManualClock } from '../../src/lib/clock.ts';

let t: TestApp;
let agency: TestAgency;
beforeAll(async () => {
  t = await createTestApp();
  agency = await createAgency(t.app, { tier: 'scale' });
});
afterAll(async () => t.close());

describe('portal login, who-am-I and logout', () => {
  it('sets an httpOnly, SameSite=Lax session cookie, not Secure over plain http', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/portal/api/session', payload: { email: agency.email, password: agency.password } });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'faro_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    expect(cookie?.value.length).toBeGreaterThanOrEqual(40);
    expect(new Date(cookie!.expires!).getTime()).toBeGreaterThan(Date.now());
    expect(response.json()).toMatchObject({
      user: { email: agency.email, role: 'owner' },
      agency: { id: agency.id, tier: 'scale', api_rate_limit: 1000 },
      csrf_token: expect.any(String),
    });
  });

  it('marks the browser as known for 90 days with an httpOnly cookie sent only to the login endpoint', async () => {
    // Its own agency: each sign-in without that cookie spends one of the email's 10 attempts per 15 minutes.
    const own = await createAgency(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/portal/api/session', payload: { email: own.email, password: own.password } });
    const device = response.cookies.find((c) => c.name === 'faro_device');
    expect(device).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/portal/api/session' });
    expect(device?.secure).toBeFalsy();
    const days = (new Date(device!.expires!).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    // Logging out ends the session, not the browser's standing.
    const out = await t.app.inject({
      method: 'DELETE',
      url: '/portal/api/session',
      headers: { cookie: `faro_session=${response.cookies.find((c) => c.name === 'faro_session')!.value}`, 'x-csrf-token': response.json<{ csrf_token: string }>().csrf_token },
    });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.map((c) => c.name)).toEqual(['faro_session']);
  });

  it('accepts the email in any letter case', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/portal/api/session', payload: { email: agency.email.toUpperCase(), password: agency.password } });
    expect(response.statusCode).toBe(200);
  });

  it('answers GET /portal/api/me with the session, and 401 without a cookie', async () => {
    const session = await login(t.app, agency.email, agency.password);
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { email: agency.email }, agency: { id: agency.id }, csrf_token: session.csrf });

    expectProblem(await t.app.inject({ method: 'GET', url: '/portal/api/me' }), 401, 'invalid_session');
    expectProblem(await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: 'faro_session=not-a-session' } }), 401, 'invalid_session');
  });

  it('logs out on the server: the old cookie stops working', async () => {
    const session = await login(t.app, agency.email, agency.password);
    const out = await t.app.inject({ method: 'DELETE', url: '/portal/api/session', headers: session.headers });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies.find((c) => c.name === 'faro_session');
    expect(cleared?.value).toBe('');

    expectProblem(await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } }), 401, 'invalid_session');
  });

  it('keeps other sessions of the same user alive on logout', async () => {
    const first = await login(t.app, agency.email, agency.password);
    const second = await login(t.app, agency.email, agency.password);
    await t.app.inject({ method: 'DELETE', url: '/portal/api/session', headers: first.headers });
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: second.cookie } });
    expect(me.statusCode).toBe(200);
  });

  it('stores only a hash of the cookie value', async () => {
    const session = await login(t.app, agency.email, agency.password);
    const token = session.cookie.split('=')[1]!;
    const rows = await t.ctx.db.selectFrom('sessions').select('id').execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((row) => row.id === token)).toBe(false);
  });
});

describe('session lifetime', () => {
  it('ends the session server-side after FARO_SESSION_TTL_HOURS', async () => {
    const clock = createManualClock();
    const timed = await createTestApp({ database: t.database, clock, config: { sessionTtlHours: 2 } });
    try {
      const session = await login(timed.app, agency.email, agency.password);
      clock.advance(2 * 3600_000 - 1000);
      expect((await timed.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
      clock.advance(2000);
      expectProblem(await timed.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } }), 401, 'invalid_session');
    } finally {
      await timed.close();
    }
  });
});

describe('portal cookie over HTTPS behind a trusted proxy', () => {
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await createTestApp({ database: t.database, config: { trustProxy: true } });
  });
  afterAll(async () => proxied.close());

  const loginVia = (proto: string) =>
    proxied.app.inject({
      method: 'POST',
      url: '/portal/api/session',
      headers: { 'x-forwarded-proto': proto },
      payload: { email: agency.email, password: agency.password },
    });

  it('marks the cookies Secure when the request came in over https', async () => {
    const { cookies } = await loginVia('https');
    expect(cookies.find((c) => c.name === 'faro_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
    expect(cookies.find((c) => c.name === 'faro_device')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
  });

  it('leaves it non-Secure for plain http', async () => {
    const cookie = (await loginVia('http')).cookies.find((c) => c.name === 'faro_session');
    expect(cookie?.secure).toBeFalsy();
  });
});

describe('X-Forwarded-Proto from an untrusted client', () => {
  it('is ignored when FARO_TRUST_PROXY is off', async () => {
    expect(t.ctx.config.trustProxy).toBe(false);
    const response = await t.app.inject({
      method: 'POST',
      url: '/portal/api/session',
      headers: { 'x-forwarded-proto': 'https' },
      payload: { email: agency.email, password: agency.password },
    });
    expect(response.cookies.find((c) => c.name === 'faro_session')?.secure).toBeFalsy();
  });
});
