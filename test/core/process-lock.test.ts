import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpProcesses, startProcess, stopProcess, tempDataDir, waitReady } from './service-process.ts';

// The embedded database is single-process; its data dir is guarded by faro.lock (PGlite only;
// these children never see TEST_DATABASE_URL).
afterEach(cleanUpProcesses);

describe('the data-dir lock', () => {
  it('makes a second process on the same data dir exit at once, naming the lock and its holder', async () => {
    const dataDir = tempDataDir();
    const first = await startProcess({ dataDir });
    await waitReady(first);
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const second = await startProcess({ dataDir });
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    const message = second.stderr();
    expect(message).toContain(path.join(dataDir, 'faro.lock'));
    expect(message).toContain(`process ${first.pid}`);
    expect(message).not.toMatch(/\n\s+at /);
    expect(second.stdout()).not.toContain('Portal:');

    // The first keeps serving, keeps its lock, and its data is intact and writable.
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'faro.lock'), 'utf8')).pid).toBe(first.pid);
    const created = await fetch(`${first.url}/admin/v1/agencies`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'After Lock', tier: 'scale', admin_email: 'after-lock@agency.test', admin_password: 'long-enough-pw' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    expect((await stopProcess(first)).code).toBe(0);

    // With the first gone, the data dir opens again and holds what the first wrote.
    const third = await startProcess({ dataDir });
    await waitReady(third);
    const read = await fetch(`${third.url}/admin/v1/agencies/${id}`, { headers: admin });
    expect(read.status).toBe(200);
    expect((await stopProcess(third)).code).toBe(0);
  }, 180_000);

  it('reclaims a lock left behind by a process that died', async () => {
    const dataDir = tempDataDir();
    const dead = spawnSync(process.execPath, ['-e', '0']);
    expect(dead.status).toBe(0);
    const lockFile = path.join(dataDir, 'faro.lock');
    fs.writeFileSync(lockFile, JSON.stringify({ pid: dead.pid, hostname: os.hostname(), started_at: new Date(0).toISOString() }));

    const service = await startProcess({ dataDir });
    await waitReady(service);
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid).toBe(service.pid);
    expect((await stopProcess(service)).code).toBe(0);
  }, 120_000);
});
