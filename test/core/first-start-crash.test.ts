import { execSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, openPgliteFromTemplate, templatePath } from '../../src/db/pglite.ts';
import { readOrCreateLocalSecret } from '../../src/lib/local-secrets.ts';
import { cleanUpProcesses, startProcess, stopProcess, tempDataDir, waitFor, waitReady } from './service-process.ts';

// A crash or Ctrl-C at any point of the first start must leave a data dir that the next start
// opens. Real children, killed for real (PGlite only: they never see TEST_DATABASE_URL).
afterEach(cleanUpProcesses);

/** The cache root the template lives under, handed to children so they find it whatever HOME is. */
let cachedTemplateEnv: Record<string, string>;
beforeAll(async () => {
  if (!fs.existsSync(templatePath())) await (await openPgliteFromTemplate(undefined)).close();
  cachedTemplateEnv = { XDG_CACHE_HOME: path.dirname(path.dirname(templatePath())) };
}, 60_000);

const entries = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
const partialBuilds = (dataDir: string) => entries(dataDir).filter((name) => name.startsWith('pgdata.partial-'));
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

function countFiles(dir: string): number {
  return entries(dir).reduce((sum, name) => {
    const full = path.join(dir, name);
    return sum + (fs.statSync(full, { throwIfNoEntry: false })?.isDirectory() ? 1 + countFiles(full) : 1);
  }, 0);
}

/** Start on a new data dir and send `signal` once `moment` holds; what the crash left is checked. */
async function interruptFirstStart(env: Record<string, string>, moment: (dataDir: string) => boolean, signal: NodeJS.Signals = 'SIGKILL') {
  const dataDir = path.join(tempDataDir(), 'data');
  const first = await startProcess({ dataDir, env });
  await waitFor(first, () => moment(dataDir));
  first.child.kill(signal);
  const exit = await first.exited;
  expect(exit.signal).toBe(signal);
  // Either no database or a whole one: pgdata never exists without PG_VERSION.
  const pgdata = path.join(dataDir, 'pgdata');
  if (fs.existsSync(pgdata)) expect(entries(pgdata)).toContain('PG_VERSION');
  return dataDir;
}

/** The next plain start becomes ready, cleans up after the crash, and the database takes writes. */
async function startsAndWorks(dataDir: string, env: Record<string, string>) {
  const service = await startProcess({ dataDir, env });
  await waitReady(service);
  expect(partialBuilds(dataDir)).toEqual([]);
  expect(entries(path.join(dataDir, 'pgdata'))).toContain('.faro-complete');
  expect(mode(dataDir)).toBe(0o700);
  expect(mode(path.join(dataDir, 'pgdata'))).toBe(0o700);
  expect(mode(path.join(dataDir, 'admin-token'))).toBe(0o600);

  const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${service.url}/admin/v1/agencies`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ name: 'After Crash', tier: 'scale', admin_email: 'after-crash@agency.test', admin_password: 'long-enough-pw' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await fetch(`${service.url}/admin/v1/agencies/${id}`, { headers: admin })).status).toBe(200);
  expect((await stopProcess(service)).code).toBe(0);
  return id;
}

describe('a first start that is killed', () => {
  it('once it holds the data-dir lock: the next start reclaims the lock and creates the database', async () => {
    const dataDir = await interruptFirstStart(cachedTemplateEnv, (dir) => entries(dir).includes('faro.lock'));
    await startsAndWorks(dataDir, cachedTemplateEnv);
  }, 120_000);

  it('while the template is unpacked and first opened: no pgdata is left, only a partial build the next start removes', async () => {
    const dataDir = await interruptFirstStart(cachedTemplateEnv, (dir) => partialBuilds(dir).some((name) => countFiles(path.join(dir, name)) >= 50));
    expect(entries(dataDir)).not.toContain('pgdata');
    expect(partialBuilds(dataDir)).toHaveLength(1);
    await startsAndWorks(dataDir, cachedTemplateEnv);
  }, 120_000);

  it('right after pgdata is renamed into place: the next start opens that database', async () => {
    const dataDir = await interruptFirstStart(cachedTemplateEnv, (dir) => entries(dir).includes('pgdata'));
    await startsAndWorks(dataDir, cachedTemplateEnv);
  }, 120_000);

  it('while initdb runs with no template cached: the next start builds one, and a dead writer’s half template is removed', async () => {
    const cacheRoot = tempDataDir();
    const env = { XDG_CACHE_HOME: cacheRoot };
    const cacheDir = path.join(cacheRoot, 'faro');
    fs.mkdirSync(cacheDir);
    const halfTemplate = `${path.basename(templatePath())}.${deadPid()}.tmp`;
    fs.writeFileSync(path.join(cacheDir, halfTemplate), 'half a tarball');

    const dataDir = await interruptFirstStart(env, (dir) => partialBuilds(dir).length > 0);
    expect(entries(dataDir)).not.toContain('pgdata');
    await startsAndWorks(dataDir, env);
    expect(entries(cacheDir)).toEqual([path.basename(templatePath())]);
  }, 180_000);

  it('by Ctrl-C (SIGINT) while the template is unpacked: the next start creates the database', async () => {
    const dataDir = await interruptFirstStart(
      cachedTemplateEnv,
      (dir) => partialBuilds(dir).some((name) => countFiles(path.join(dir, name)) >= 50),
      'SIGINT',
    );
    expect(entries(dataDir)).not.toContain('pgdata');
    await startsAndWorks(dataDir, cachedTemplateEnv);
  }, 120_000);
});

describe('a pgdata made by an older version', () => {
  function fabricate(dataDir: string, files: string[]) {
    const pgdata = path.join(dataDir, 'pgdata');
    fs.mkdirSync(dataDir, { mode: 0o700, recursive: true });
    for (const file of ['PG_VERSION', 'base/1/PG_VERSION', 'base/1/1259', ...files]) {
      fs.mkdirSync(path.dirname(path.join(pgdata, file)), { recursive: true });
      fs.writeFileSync(path.join(pgdata, file), file.endsWith('PG_VERSION') ? '18\n' : Buffer.alloc(8192));
    }
    return pgdata;
  }

  it('half-made (PG_VERSION, part of base/): the start exits 1 naming the command, which fixes it', async () => {
    const dataDir = tempDataDir();
    const pgdata = fabricate(dataDir, []);
    const refused = await startProcess({ dataDir, env: cachedTemplateEnv });
    expect((await refused.exited).code).toBe(1);
    const message = refused.stderr();
    expect(message).toContain(`rm -rf ${pgdata}\n`);
    expect(message).not.toMatch(/\n\s+at /);
    expect(refused.stdout()).not.toContain('Portal:');
    expect(entries(pgdata)).toContain('PG_VERSION'); // reported, not deleted

    execSync(/rm -rf .*/.exec(message)![0], { shell: '/bin/sh' });
    await startsAndWorks(dataDir, cachedTemplateEnv);
  }, 120_000);

  it('that does not open but holds a table: the error is reported as it is, with no command to delete it', async () => {
    const dataDir = tempDataDir();
    const pgdata = fabricate(dataDir, ['base/5/16384']);
    const refused = await startProcess({ dataDir, env: cachedTemplateEnv });
    expect((await refused.exited).code).not.toBe(0);
    expect(refused.stderr()).toContain(`The embedded database in ${pgdata} does not open`);
    expect(refused.stderr()).not.toContain('rm -rf');
    expect(entries(path.join(pgdata, 'base', '5'))).toEqual(['16384']);
  }, 60_000);

  it('complete but unmarked and readable by all: it opens with its data, is marked and made private', async () => {
    const dataDir = path.join(tempDataDir(), 'data');
    const id = await startsAndWorks(dataDir, cachedTemplateEnv);
    const pgdata = path.join(dataDir, 'pgdata');
    fs.rmSync(path.join(pgdata, '.faro-complete'));
    fs.chmodSync(pgdata, 0o755);

    const service = await startProcess({ dataDir, env: cachedTemplateEnv });
    await waitReady(service);
    expect(entries(pgdata)).toContain('.faro-complete');
    expect(mode(pgdata)).toBe(0o700);
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const read = await fetch(`${service.url}/admin/v1/agencies/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    expect((await stopProcess(service)).code).toBe(0);
  }, 180_000);
});

describe('what else a crash can leave in the data dir', () => {
  it('a lock naming this very pid, left by an earlier process (a restarted container), is reclaimed; a held one is not', () => {
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, 'faro.lock'), JSON.stringify({ pid: process.pid, hostname: os.hostname(), started_at: new Date(0).toISOString() }));
    const release = acquireDataDirLock(dataDir);
    try {
      expect(() => acquireDataDirLock(dataDir)).toThrow(DataDirLockedError);
    } finally {
      release();
    }
    expect(entries(dataDir)).not.toContain('faro.lock');
  });

  it('an empty secret file (killed while writing) gets a value; a dead writer’s temporary is removed', () => {
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, 'admin-token'), '');
    const leftover = `admin-token.tmp-${deadPid()}`;
    fs.writeFileSync(path.join(dataDir, leftover), 'half');
    const value = readOrCreateLocalSecret(dataDir, 'admin-token', () => 'fadm_new');
    expect(value).toBe('fadm_new');
    expect(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8')).toBe('fadm_new\n');
    expect(mode(path.join(dataDir, 'admin-token'))).toBe(0o600);
    expect(entries(dataDir)).toEqual(['admin-token']);
    expect(readOrCreateLocalSecret(dataDir, 'admin-token', () => 'fadm_other')).toBe('fadm_new');
  });

  it('a new data dir is created readable by its owner only', () => {
    const dataDir = path.join(tempDataDir(), 'nested', '.faro');
    readOrCreateLocalSecret(dataDir, 'secret.key', () => 'k');
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, 'secret.key'))).toBe(0o600);
  });
});
