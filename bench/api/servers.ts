// The servers under load, each in its own process so the load generator does not share its event loop.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Server {
  url: string;
  /** The `/metrics` URL of a FARO server started with metrics on. */
  metricsUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Where the process's stdout goes (the production logger writes there); default: this terminal. */
  stdoutFile?: string;
  /** A directory for a V8 CPU profile of the whole run (`node --cpu-prof`), written when it stops. */
  cpuProfileDir?: string;
  /** Variables added to the process's environment (bench/api-server.ts passes the FARO_ ones it knows to its config). */
  env?: Record<string, string>;
}

/**
 * BENCH_PERF=1: the servers write /tmp/perf-<pid>.map, so `perf record -e cpu-clock -g -p <pid>`
 * names their JavaScript frames. perf counts time on a CPU only, where a V8 profile on a machine
 * with more runnable processes than cores also counts time waiting for one.
 */
const perfMap = process.env.BENCH_PERF === '1' ? ['--perf-basic-prof'] : [];

async function start(script: string, args: string[], options: ServerOptions): Promise<Server> {
  const stdout = options.stdoutFile ? fs.openSync(options.stdoutFile, 'w') : 'inherit';
  const execArgv = [...process.execArgv, ...perfMap, ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])];
  const child = fork(script, args, { stdio: ['ignore', stdout, 'inherit', 'ipc'], execArgv, env: { ...process.env, ...options.env } });
  if (typeof stdout === 'number') fs.closeSync(stdout);
  const { url, metricsUrl } = await new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; metricsUrl?: string }));
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited (${code}) before listening`)));
  });
  if (perfMap.length > 0) console.log(`${path.basename(script)} ${args.at(-1)}: pid ${child.pid}`);
  return {
    url,
    ...(metricsUrl ? { metricsUrl } : {}),
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface FaroServerArgs {
  databaseUrl: string;
  redisUrl: string;
  agencyId: string;
  redisKeyPrefix: string;
  logger: 'silent' | 'production';
  /** OpenTelemetry tracing (bench/api/tracing-part.ts): off (default), on with spans discarded, or on exporting OTLP to this URL. */
  tracing?: 'off' | 'discard' | { otlpEndpoint: string };
  /** Prometheus metrics on (FARO_METRICS_PORT), their listener on a port of its own. */
  metrics?: boolean;
}

/** The real app (bench/api-server.ts), plus the public routes without their guard under /bench-noauth/v1. */
export function startFaro(args: FaroServerArgs, options: ServerOptions = {}): Promise<Server> {
  const tracing = typeof args.tracing === 'object' ? args.tracing.otlpEndpoint : (args.tracing ?? 'off');
  return start(path.join(bench, 'api-server.ts'), [args.databaseUrl, args.redisUrl, args.agencyId, args.redisKeyPrefix, args.logger, tracing, ...(args.metrics ? ['metrics'] : [])], options);
}

/** The minimal Fastify + pg peer (bench/api/peer-server.ts), with /limited behind a key and @fastify/rate-limit. */
export function startPeer(args: Omit<FaroServerArgs, 'logger'>, options: ServerOptions = {}): Promise<Server> {
  return start(path.join(bench, 'api', 'peer-server.ts'), [args.databaseUrl, args.redisUrl, args.agencyId, args.redisKeyPrefix], options);
}
