import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpProcesses, freePort, waitReady } from '../core/service-process.ts';
import { call, createEnterpriseKey, isAlive, startOnPostgres, until } from './support.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
// A real stop and start of PostgreSQL needs a cluster of the test's own: never the shared one.
const canMakeClusters = Boolean(databaseUrl) && process.getuid?.() === 0 && fs.existsSync('/usr/bin/pg_createcluster');

function pg(command: string, ...args: string[]): void {
  execFileSync(command, args, { stdio: 'pipe' });
}

describe.runIf(canMakeClusters)('a real PostgreSQL restart (a throw-away cluster on its own port)', () => {
  const version = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql').sort().at(-1)! : '15';
  const name = `faro_fault_${randomBytes(4).toString('hex')}`;
  let port = 0;
  let url = '';

  beforeAll(async () => {
    port = await freePort();
    pg('pg_createcluster', version, name, '--port', String(port), '--', '--auth=trust');
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }, 60_000);

  afterAll(async () => {
    await cleanUpProcesses();
    pg('pg_dropcluster', version, name, '--stop');
  }, 60_000);

  it('starts while the database is down, waits for it, serves 503s while it restarts, and recovers without a restart', async () => {
    // The database is not up yet: the service says where it is trying, and keeps trying.
    const service = await startOnPostgres({ databaseUrl: url, wait: false });
    await until(() => (service.stdout() + service.stderr()).split(`127.0.0.1:${port}/postgres is not reachable`).length > 2, 'two retry log lines naming the database', 30_000);
    expect(isAlive(service)).toBe(true);

    pg('pg_ctlcluster', '--skip-systemctl-redirect', version, name, 'start');
    await waitReady(service, 60_000);
    const { key } = await createEnterpriseKey(service.url, ['locations:read']);
    const auth = { authorization: `Bearer ${key}` };
    expect((await call(`${service.url}/api/v1/locations`, { headers: auth })).status).toBe(200);

    pg('pg_ctlcluster', '--skip-systemctl-redirect', version, name, 'stop', '-m', 'fast');
    const down = await call(`${service.url}/api/v1/locations`, { headers: auth });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'database_unavailable', status: 503 });
    expect(down.headers['retry-after']).toBe('1');
    expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await call(`${service.url}/readyz`)).status).toBe(503);
    expect((await call(`${service.url}/healthz`)).status).toBe(200);
    // The portal and the operator API answer the same way.
    expect((await call(`${service.url}/portal/api/session`, { method: 'POST', body: { email: 'a@b.test', password: 'whatever-long' } })).body.code).toBe('database_unavailable');

    pg('pg_ctlcluster', '--skip-systemctl-redirect', version, name, 'start');
    const recoveryMs = await until(async () => (await call(`${service.url}/api/v1/locations`, { headers: auth })).status === 200, 'requests to succeed again', 20_000);
    process.stdout.write(`postgres restart: requests succeeded again ${recoveryMs} ms after pg_ctlcluster start returned\n`);
    expect((await call(`${service.url}/readyz`)).status).toBe(200);
    expect(isAlive(service)).toBe(true);
    expect(service.stderr()).not.toMatch(/Unhandled|uncaught/i);
  }, 180_000);
});

describe.runIf(databaseUrl)('a database the service can reach but not use', () => {
  afterAll(cleanUpProcesses);

  it.each([
    ['a missing database', (base: URL) => Object.assign(new URL(base), { pathname: `/faro_missing_${randomBytes(3).toString('hex')}` })],
    ['an unknown role', (base: URL) => Object.assign(new URL(base), { username: `nobody_${randomBytes(3).toString('hex')}` })],
  ])('%s is a clear, final error (exit 1, no stack trace)', async (_what, broken) => {
    const service = await startOnPostgres({ databaseUrl: broken(new URL(databaseUrl!)).toString(), wait: false });
    const { code } = await service.exited;
    expect(code).toBe(1);
    expect(service.stderr()).toMatch(/^faro: PostgreSQL at 127\.0\.0\.1:5432\/\S+ refused the connection: .+ \(check DATABASE_URL\)$/m);
    expect(service.stderr()).not.toMatch(/\n\s+at /);
  }, 60_000);
});
