import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect, PGliteDriver, type DatabaseConnection } from 'kysely';
import { isProcessAlive, makePrivateDir, removeLeftoversOfDeadProcesses } from '../lib/private-files.ts';

/**
 * Kysely's PGlite driver hands the one connection to every caller at once, so a query issued
 * while another request holds a transaction would run inside that transaction. This driver
 * queues callers instead: one transaction (or statement) at a time, as with a pool of one.
 */
class SerializedPGliteDriver extends PGliteDriver {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;
  readonly #turns: ConnectionTurns;

  constructor(config: ConstructorParameters<typeof PGliteDriver>[0], turns: ConnectionTurns) {
    super(config);
    this.#turns = turns;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    this.#turns.waiting++;
    await previous;
    this.#turns.waiting--;
    this.#turns.holding = true;
    this.#release = release;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    this.#turns.holding = false;
    release?.();
  }
}

/** Who has the one connection: read by the pool metrics. */
export interface ConnectionTurns {
  holding: boolean;
  waiting: number;
}

export class SerializedPGliteDialect extends PGliteDialect {
  readonly #pglite: PGlite;
  readonly turns: ConnectionTurns = { holding: false, waiting: 0 };
  constructor(pglite: PGlite) {
    super({ pglite });
    this.#pglite = pglite;
  }
  override createDriver() {
    return new SerializedPGliteDriver({ pglite: this.#pglite }, this.turns);
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

/** A data dir whose first start never finished: an older version was stopped while creating it. */
export class UnfinishedDataDirError extends Error {
  override name = 'UnfinishedDataDirError';
}

interface LockInfo {
  pid: number;
  hostname: string;
  started_at: string;
}

/** Lock files this process holds: one naming our pid that is not among them is a dead namesake's. */
const heldLocks = new Set<string>();

/**
 * PGlite is single-process: two processes on one data directory would corrupt it. Take an
 * exclusive lock file first; a lock left by a dead process on this host is reclaimed, also one
 * left by an earlier process that had our pid (a container restarted after a crash).
 */
export function acquireDataDirLock(dataDir: string): () => void {
  makePrivateDir(dataDir);
  const lockPath = path.resolve(dataDir, 'faro.lock');
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      heldLocks.add(lockPath);
      return () => {
        heldLocks.delete(lockPath);
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
    const stale =
      holder?.hostname === os.hostname() &&
      (holder.pid === process.pid ? !heldLocks.has(lockPath) : !isProcessAlive(holder.pid));
    if (holder && !stale) {
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

async function startPglite(directory: string | undefined, loadDataDir?: Blob): Promise<PGlite> {
  const pglite = new PGlite(directory, { loadDataDir, parsers: pgliteParsers });
  await pglite.waitReady;
  return pglite;
}

/** Written whole under a temporary name and renamed, so a crash leaves no half template behind. */
async function saveTemplate(pglite: PGlite, template: string): Promise<void> {
  const cacheDir = path.dirname(template);
  const temporary = `${template}.${process.pid}.tmp`;
  try {
    const dump = await pglite.dumpDataDir('gzip');
    fs.mkdirSync(cacheDir, { recursive: true });
    removeLeftoversOfDeadProcesses(cacheDir, new RegExp(`^${escapeRegExp(path.basename(template))}\\.(\\d+)\\.tmp$`));
    fs.writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(temporary, template);
  } catch {
    // The template only saves the next new database some seconds: an unwritable cache costs no more.
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Open PGlite on `directory` (or in memory when undefined). A brand-new database starts from the
 * cached initdb template when there is one (about 1 s) instead of running initdb (5–10 s), and
 * leaves a template behind for the next fresh clone when there was none.
 */
export async function openPgliteFromTemplate(directory: string | undefined): Promise<PGlite> {
  const isNew = directory === undefined || !fs.existsSync(path.join(directory, 'PG_VERSION'));
  const template = templatePath();
  if (isNew && fs.existsSync(template)) return startPglite(directory, new Blob([fs.readFileSync(template)]));
  const pglite = await startPglite(directory);
  if (isNew) await saveTemplate(pglite, template);
  return pglite;
}

/** Written once `pgdata` is whole; a `pgdata` without it was made by an older version. */
const COMPLETE_MARK = '.faro-complete';

/**
 * The database lives in `<dataDir>/pgdata`, which only ever appears whole: a new one is built in
 * `pgdata.partial-<pid>` beside it and renamed into place. A crash at any point leaves no
 * `pgdata` and a partial build, removed here, or a whole database.
 */
async function openDataDir(pgdata: string): Promise<PGlite> {
  const dataDir = path.dirname(pgdata);
  // Under the data-dir lock, every partial build is one a crashed process left.
  for (const name of fs.readdirSync(dataDir)) {
    if (name.startsWith(`${path.basename(pgdata)}.partial-`)) fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
  }
  if (!fs.existsSync(pgdata)) return createDataDir(pgdata);
  fs.chmodSync(pgdata, 0o700); // older versions left it readable by everyone
  if (fs.existsSync(path.join(pgdata, COMPLETE_MARK))) return startPglite(pgdata);
  return openUnmarkedDataDir(pgdata);
}

async function createDataDir(pgdata: string): Promise<PGlite> {
  const partial = `${pgdata}.partial-${process.pid}`;
  makePrivateDir(partial);
  let pglite: PGlite | undefined;
  try {
    pglite = await openPgliteFromTemplate(partial);
    pglite = await moveIntoPlace(pglite, partial, pgdata);
  } catch (error) {
    if (pglite && !pglite.closed) await pglite.close().catch(() => undefined);
    fs.rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  fs.writeFileSync(path.join(pgdata, COMPLETE_MARK), '');
  return pglite;
}

interface NodefsMount {
  mountpoint: string;
  opts: { root?: string };
}
interface EmscriptenFs {
  root: { mount: NodefsMount };
  getMounts(mount: NodefsMount): NodefsMount[];
  stat(path: string): unknown;
}

/**
 * Rename the built data dir into place under the running PGlite rather than closing it and
 * starting it again (2 s more): Postgres's open files stay open, and Emscripten's NODEFS finds
 * every other file from its mount's root, pointed at the new name in the same tick. Where that
 * cannot be done (no such mount, a platform that refuses to rename open files), close, rename
 * and start again.
 */
async function moveIntoPlace(pglite: PGlite, from: string, to: string): Promise<PGlite> {
  const [source, target] = [path.resolve(from), path.resolve(to)];
  const fsApi = pglite.Module.FS as unknown as EmscriptenFs;
  const mount = fsApi.getMounts(fsApi.root.mount).find((candidate) => candidate.opts?.root === source);
  if (mount) {
    let moved = false;
    try {
      fs.renameSync(source, target);
      moved = true;
      mount.opts.root = target;
      fsApi.stat(`${mount.mountpoint}/PG_VERSION`);
      return pglite;
    } catch {
      if (moved) fs.renameSync(target, source);
      mount.opts.root = source;
    }
  }
  await pglite.close();
  fs.renameSync(source, target);
  return startPglite(target);
}

/**
 * A `pgdata` without the mark is whole (it opens; mark it now) or half-made by an older version
 * that was stopped while creating it. Only a dir holding no table of anyone's is called
 * half-made, with the command that removes it: any other failure is reported as it is.
 */
async function openUnmarkedDataDir(pgdata: string): Promise<PGlite> {
  if (fs.readdirSync(pgdata).length === 0) {
    fs.rmdirSync(pgdata);
    return createDataDir(pgdata);
  }
  let pglite: PGlite;
  try {
    if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) throw new Error(`${pgdata} holds no PG_VERSION`);
    pglite = await startPglite(pgdata);
  } catch (error) {
    if (holdsUserTables(pgdata)) throw new Error(`The embedded database in ${pgdata} does not open`, { cause: error });
    throw new UnfinishedDataDirError(
      `The embedded database in ${path.resolve(pgdata)} was never completely created (a start was ` +
        `stopped while creating it), so it holds no data. Remove it and start again:\n` +
        `  rm -rf ${shellQuote(path.resolve(pgdata))}`,
    );
  }
  fs.writeFileSync(path.join(pgdata, COMPLETE_MARK), '');
  return pglite;
}

/** initdb makes relations and databases numbered below 16384 (FirstNormalObjectId) only. */
function holdsUserTables(pgdata: string): boolean {
  const numbered = (dir: string) => {
    try {
      return fs.readdirSync(dir).some((name) => Number.parseInt(name, 10) >= 16384);
    } catch {
      return false;
    }
  };
  const base = path.join(pgdata, 'base');
  const databases = fs.existsSync(base) ? fs.readdirSync(base) : [];
  return numbered(base) || databases.some((database) => numbered(path.join(base, database))) || numbered(path.join(pgdata, 'pg_tblspc'));
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function openEmbeddedPglite(dataDir: string): Promise<{ pglite: PGlite; close: () => Promise<void> }> {
  const releaseLock = acquireDataDirLock(dataDir);
  try {
    const pglite = await openDataDir(path.join(dataDir, 'pgdata'));
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
