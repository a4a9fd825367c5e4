import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect, PGliteDriver, type DatabaseConnection } from 'kysely';

/**
 * Kysely's PGlite driver hands the one connection to every caller at once, so a query issued
 * while another request holds a transaction would run inside that transaction. This driver
 * queues callers instead: one transaction (or statement) at a time, as with a pool of one.
 */
class SerializedPGliteDriver extends PGliteDriver {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  override async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

export class SerializedPGliteDialect extends PGliteDialect {
  readonly #pglite: PGlite;
  constructor(pglite: PGlite) {
    super({ pglite });
    this.#pglite = pglite;
  }
  override createDriver() {
    return new SerializedPGliteDriver({ pglite: this.#pglite });
  }
}

/** Same reading rules as the pg pool: int8 counts as numbers, numeric money as exact strings. */
export const pgliteParsers = {
  20: (value: string) => Number(value),
  1700: (value: string) => value,
};

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

interface LockInfo {
  pid: number;
  hostname: string;
  started_at: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is single-process: two processes on one data directory would corrupt it. Take an
 * exclusive lock file first; a lock left by a dead process on this host is reclaimed.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'faro.lock');
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          const current = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockInfo;
          if (current.pid === process.pid) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: LockInfo | undefined;
    try {
      holder = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockInfo;
    } catch {
      holder = undefined;
    }
    const sameHost = holder?.hostname === os.hostname();
    if (holder && (!sameHost || isAlive(holder.pid))) {
      throw new DataDirLockedError(
        `The embedded database in ${dataDir} is in use: lock file ${lockPath} is held by process ` +
          `${holder.pid} on ${holder.hostname} (since ${holder.started_at}). Stop that process, or set ` +
          `FARO_DATA_DIR to another directory, or DATABASE_URL to use PostgreSQL.`,
      );
    }
    fs.rmSync(lockPath, { force: true });
  }
  throw new DataDirLockedError(`Could not take the lock file ${lockPath}`);
}

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

/** Where an initdb'd, empty data directory is cached as a tarball, per PGlite version. */
export function templatePath(): string {
  const cacheRoot = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(cacheRoot, 'faro', `pglite-${pgliteVersion()}-initdb.tar.gz`);
}

/**
 * Open PGlite on `directory` (or in memory when undefined). A brand-new database starts from the
 * cached initdb template when there is one (about 1 s) instead of running initdb (5–10 s), and
 * leaves a template behind for the next fresh clone when there was none.
 */
export async function openPgliteFromTemplate(directory: string | undefined): Promise<PGlite> {
  const isNew = directory === undefined || !fs.existsSync(path.join(directory, 'PG_VERSION'));
  const template = templatePath();
  if (isNew && fs.existsSync(template)) {
    const loadDataDir = new Blob([fs.readFileSync(template)]);
    const pglite = new PGlite(directory, { loadDataDir, parsers: pgliteParsers });
    await pglite.waitReady;
    return pglite;
  }
  const pglite = new PGlite(directory, { parsers: pgliteParsers });
  await pglite.waitReady;
  if (isNew) {
    const dump = await pglite.dumpDataDir('gzip');
    fs.mkdirSync(path.dirname(template), { recursive: true });
    const temporary = `${template}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(temporary, template);
  }
  return pglite;
}

export async function openEmbeddedPglite(dataDir: string): Promise<{ pglite: PGlite; close: () => Promise<void> }> {
  const releaseLock = acquireDataDirLock(dataDir);
  try {
    const pglite = await openPgliteFromTemplate(path.join(dataDir, 'pgdata'));
    return {
      pglite,
      async close() {
        if (!pglite.closed) await pglite.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}
