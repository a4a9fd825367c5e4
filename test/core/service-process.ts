import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const ENTRY = path.join(ROOT, 'src/cli/start.ts');

/** A port nobody listens on right now (PORT=0 would not tell us which one the child got). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const tempDirs: string[] = [];

export function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faro-proc-'));
  tempDirs.push(dir);
  return dir;
}

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/**
 * `node src/cli/start.ts` as a real child process on an embedded data dir. Only the variables
 * given here reach it (no DATABASE_URL, REDIS_URL or TEST_* from the test environment).
 */
export async function startProcess(options: { dataDir: string; env?: Record<string, string>; port?: number }): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(NODE, [ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.homedir(),
      HOST: '127.0.0.1',
      PORT: String(port),
      FARO_DATA_DIR: options.dataDir,
      LOG_LEVEL: 'warn',
      FARO_DEMO: 'off',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Poll /readyz until it answers 200; fail early, with the child's output, if the child exits. */
export async function waitReady(service: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  let exited: { code: number | null } | undefined;
  void service.exited.then((result) => (exited = result));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`service exited (${exited.code}) before it was ready:\n${service.stdout()}\n${service.stderr()}`);
    try {
      const response = await fetch(`${service.url}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`service not ready after ${timeoutMs} ms:\n${service.stdout()}\n${service.stderr()}`);
}

/** Poll (every 2 ms, to catch short moments of a start) until `condition` holds; fail if the child exits first. */
export async function waitFor(service: ServiceProcess, condition: () => boolean, timeoutMs = 90_000): Promise<void> {
  let exited: { code: number | null } | undefined;
  void service.exited.then((result) => (exited = result));
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (exited) throw new Error(`service exited (${exited.code}) first:\n${service.stdout()}\n${service.stderr()}`);
    if (Date.now() > deadline) throw new Error(`condition not met after ${timeoutMs} ms:\n${service.stdout()}\n${service.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export async function stopProcess(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM') {
  service.child.kill(signal);
  return service.exited;
}

/** afterEach: kill whatever a failed test left running (only children this module started), drop temp dirs. */
export async function cleanUpProcesses(): Promise<void> {
  for (const child of [...running]) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
