import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../src/config.ts';
import type { BenchDatabases, FreshDatabase } from './databases.ts';
import type { Receiver } from './receiver-client.ts';
import { startPostgresCpuMeter } from './postgres-cpu.ts';

export interface BenchContext {
  databases: BenchDatabases;
  receiver: Receiver;
  config: Config;
  logger: FastifyBaseLogger;
  secretKey: string;
  log(line: string): void;
}

/** One throughput round of FARO or its pg-boss peer. */
export interface RoundResult {
  deliveries: number;
  seconds: number;
  rate: number;
  /** CPU ms of the round's Postgres processes per delivery; null when they cannot be seen. */
  postgresCpuMsPerDelivery: number | null;
  /** CPU ms of this (the worker's) process per delivery. */
  nodeCpuMsPerDelivery: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Times `run` from its start until the receiver has taken `deliveries` POSTs and `recorded` says
 * all of them are recorded, metering the CPU of Postgres (for `fresh`) and of this process.
 * The database is asked only after the receiver count is reached, so the check adds no load while
 * the round runs.
 */
export async function timeRound(
  ctx: BenchContext,
  fresh: FreshDatabase,
  deliveries: number,
  run: () => Promise<void>,
  recorded: () => Promise<number>,
): Promise<RoundResult> {
  await ctx.receiver.reset();
  const meter = await startPostgresCpuMeter(ctx.databases.admin, fresh.name);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  await run();
  await ctx.receiver.waitForArrivals(deliveries);
  while ((await recorded()) < deliveries) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const postgresCpuMs = meter ? await meter.stop() : null;
  return {
    deliveries,
    seconds,
    rate: deliveries / seconds,
    postgresCpuMsPerDelivery: postgresCpuMs === null ? null : postgresCpuMs / deliveries,
    nodeCpuMsPerDelivery: (node.user + node.system) / 1000 / deliveries,
  };
}
