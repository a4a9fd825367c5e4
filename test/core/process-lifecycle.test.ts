import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpProcesses, startProcess, stopProcess, tempDataDir, waitReady } from './service-process.ts';

// Real child processes on the embedded database (PGlite in a temp data dir). They never use
// TEST_DATABASE_URL, so they run the same in both backend passes.
afterEach(cleanUpProcesses);

describe('service process lifecycle', () => {
  it('starts, becomes ready, and on SIGTERM exits 0 and removes its lock file', async () => {
    const dataDir = tempDataDir();
    const token = `operator-${'x'.repeat(30)}`;
    const service = await startProcess({ dataDir, env: { FARO_ADMIN_TOKEN: token } });
    await waitReady(service);

    const lockFile = path.join(dataDir, 'faro.lock');
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: service.pid });
    const health = await fetch(`${service.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    // The operator's own token works and is never printed (only a generated one is).
    const agency = await fetch(`${service.url}/admin/v1/agencies/agy_00000000000000000000000000`, { headers: { authorization: `Bearer ${token}` } });
    expect(agency.status).toBe(404);
    expect(service.stdout()).toContain('Admin token:    (from FARO_ADMIN_TOKEN)');
    expect(service.stdout()).not.toContain(token);

    expect(await stopProcess(service, 'SIGTERM')).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(service.stderr()).toBe('');
  }, 120_000);

  it('finishes a request already in flight when SIGINT arrives, then exits 0', async () => {
    const dataDir = tempDataDir();
    const service = await startProcess({ dataDir });
    await waitReady(service);
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const body = JSON.stringify({ name: 'Late Co', tier: 'scale', admin_email: 'late@agency.test', admin_password: 'long-enough-pw' });

    // `Expect: 100-continue` makes the server confirm it has the request before we send the body:
    // the signal then lands while the request is certainly in flight.
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${service.url}/admin/v1/agencies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      });
      request.on('continue', () => {
        service.child.kill('SIGINT');
        setTimeout(() => request.end(body), 200);
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      });
      request.on('error', reject);
    });
    expect(status).toBe(201);
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'faro.lock'))).toBe(false);
  }, 120_000);

  it('on a busy port, exits with one line naming the port and PORT (no stack trace), and leaves no lock behind', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const dataDir = tempDataDir();
      const service = await startProcess({ dataDir, port });
      const { code } = await service.exited;
      expect(code).toBe(1);
      const lines = service.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `faro: port ${port} on 127.0.0.1 is already in use (another FARO or another program is listening there); stop it, or set PORT to a free port (e.g. PORT=${port + 1})`,
      );
      expect(fs.existsSync(path.join(dataDir, 'faro.lock'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }, 120_000);

  it('refuses to start with a bad setting, naming the variable, and leaves no lock behind', async () => {
    const dataDir = tempDataDir();
    const service = await startProcess({ dataDir, env: { FARO_ROLE: 'everything' } });
    const { code } = await service.exited;
    expect(code).not.toBe(0);
    expect(service.stderr()).toContain('FARO_ROLE');
    expect(service.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.existsSync(path.join(dataDir, 'faro.lock'))).toBe(false);
  }, 60_000);
});
