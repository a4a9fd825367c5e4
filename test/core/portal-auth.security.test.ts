import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, login, type TestAgency } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';

const loginRequest = (email: string, password: string) => ({ method: 'POST' as const, url: '/portal/api/session', payload: { email, password } });

// One app for the file; the per-address limit (50 attempts) is far above what these tests spend.
let t: TestApp;
let agency: TestAgency;
beforeAll(async () => {
  t = await createTestApp();
  agency = await createAgency(t.app);
});
afterAll(async () => t.close());

describe('portal login rejects wrong credentials alike', () => {
  it('answers 401 invalid_credentials to a wrong password, with no cookie', async () => {
    const response = await t.app.inject(loginRequest(agency.email, 'wrong-password-1'));
    expectProblem(response, 401, 'invalid_credentials');
    expect(response.cookies).toEqual([]);
  });

  it('answers an unknown email exactly as a wrong password (no account enumeration)', async () => {
    const wrongPassword = expectProblem(await t.app.inject(loginRequest(agency.email, 'wrong-password-2')), 401, 'invalid_credentials');
    const unknownEmail = expectProblem(await t.app.inject(loginRequest('nobody@agency.test', 'wrong-password-2')), 401, 'invalid_credentials');
    const strip = ({ request_id: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(unknownEmail)).toEqual(strip(wrongPassword));
  });
});

describe('CSRF protection on state-changing portal calls', () => {
  it('refuses DELETE /portal/api/session with the cookie but no CSRF token, and keeps the session', async () => {
    const session = await login(t.app, agency.email, agency.password);
    expectProblem(await t.app.inject({ method: 'DELETE', url: '/portal/api/session', headers: { cookie: session.cookie } }), 403, 'csrf_failed');
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } });
    expect(me.statusCode).toBe(200);
  });

  it('refuses a wrong CSRF token, and another session’s token', async () => {
    const session = await login(t.app, agency.email, agency.password);
    const other = await login(t.app, agency.email, agency.password);
    for (const token of ['wrong', `${session.csrf}x`, other.csrf, '']) {
      const response = await t.app.inject({ method: 'DELETE', url: '/portal/api/session', headers: { cookie: session.cookie, 'x-csrf-token': token } });
      expectProblem(response, 403, 'csrf_failed');
    }
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } });
    expect(me.statusCode).toBe(200);
  });

  it('needs no token for safe methods', async () => {
    const session = await login(t.app, agency.email, agency.password);
    const me = await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: { cookie: session.cookie } });
    expect(me.statusCode).toBe(200);
  });
});

// Each failed attempt runs scrypt; on a loaded machine eleven of them take a while.
describe('login throttling', { timeout: 120_000 }, () => {
  it('locks an email out after 10 failed attempts, even for the right password from a browser it has not seen', async () => {
    const victim = await createAgency(t.app);
    for (let attempt = 1; attempt <= 10; attempt++) {
      expectProblem(await t.app.inject(loginRequest(victim.email, `wrong-${attempt}`)), 401, 'invalid_credentials');
    }
    const eleventh = await t.app.inject(loginRequest(victim.email, 'wrong-11'));
    expectProblem(eleventh, 429, 'login_throttled');
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);

    const correct = await t.app.inject(loginRequest(victim.email, victim.password));
    expectProblem(correct, 429, 'login_throttled');
    expect(correct.cookies).toEqual([]);

    // Another email from the same address is not locked out by this one.
    const response = await t.app.inject(loginRequest(agency.email, agency.password));
    expect(response.statusCode).toBe(200);
  });

  it('counts the lockout per email whatever its letter case', async () => {
    const target = await createAgency(t.app);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const email = attempt % 2 ? target.email.toUpperCase() : target.email;
      expectProblem(await t.app.inject(loginRequest(email, `wrong-${attempt}`)), 401, 'invalid_credentials');
    }
    expectProblem(await t.app.inject(loginRequest(target.email, target.password)), 429, 'login_throttled');
  });
});
