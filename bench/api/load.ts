// One measured run: autocannon against one URL, with what it cost each process: the server's CPU
// (/proc), the bench database's Postgres backends (bench/webhooks/postgres-cpu.ts) and Redis's
// time in scripts (INFO commandstats; Redis is shared, so other clients' scripts can add to it).
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { processCpuMs, startPostgresCpuMeter } from '../webhooks/postgres-cpu.ts';

export interface Target {
  url: string;
  headers: Record<string, string>;
  serverPid: number;
}

export interface Load {
  duration: number;
  connections: number;
  /** Requests per second offered over all connections; unset = as fast as answered. */
  rate?: number;
}

export interface Sample {
  /** Answered requests (any status). */
  requests: number;
  rps: number;
  /** Latencies of 2xx answers in ms, from each response's own timing (autocannon's histogram keeps whole ms only). */
  p50: number;
  p99: number;
  bad: number;
  /** Per answered request, in µs. */
  serverCpuUs: number;
  postgresCpuUs: number | null;
  redisUs: number;
}

export interface Meters {
  admin: pg.Client;
  databaseName: string;
  redis: Redis;
}

/** µs Redis spent so far running scripts (both rate limiters are scripts), whoever sent them. */
export async function redisScriptUs(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):.*?usec=(\d+)/gm)) total += Number(match[1]);
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export async function measure(target: Target, load: Load, meters: Meters): Promise<Sample> {
  const postgres = await startPostgresCpuMeter(meters.admin, meters.databaseName);
  const redisBefore = await redisScriptUs(meters.redis);
  const cpuBefore = processCpuMs(target.serverPid) ?? Number.NaN;
  const latencies: number[] = [];
  const instance = autocannon({
    url: target.url,
    headers: target.headers,
    connections: load.connections,
    duration: load.duration,
    ...(load.rate ? { overallRate: load.rate } : {}),
  });
  // Emitted as (client, statusCode, bytes, responseTime ms); @types/autocannon leaves out the client.
  (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const serverCpuMs = (processCpuMs(target.serverPid) ?? Number.NaN) - cpuBefore;
  const redisUs = (await redisScriptUs(meters.redis)) - redisBefore;
  const postgresMs = postgres ? await postgres.stop() : null;
  const answered = Math.max(1, result.requests.total);
  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    rps: result.requests.total / load.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    bad: result.errors + result.non2xx,
    serverCpuUs: (serverCpuMs * 1000) / answered,
    postgresCpuUs: postgresMs === null ? null : (postgresMs * 1000) / answered,
    redisUs: redisUs / answered,
  };
}

/** Means over rounds. */
export function summarise(samples: Sample[]): Sample {
  const mean = (pick: (s: Sample) => number) => samples.reduce((sum, s) => sum + pick(s), 0) / samples.length;
  const anyPostgres = samples.every((s) => s.postgresCpuUs !== null);
  return {
    requests: mean((s) => s.requests),
    rps: mean((s) => s.rps),
    p50: mean((s) => s.p50),
    p99: mean((s) => s.p99),
    bad: samples.reduce((n, s) => n + s.bad, 0),
    serverCpuUs: mean((s) => s.serverCpuUs),
    postgresCpuUs: anyPostgres ? mean((s) => s.postgresCpuUs!) : null,
    redisUs: mean((s) => s.redisUs),
  };
}
