// The hot-path part of bench:api: its database, its three servers (FARO silent, FARO with the
// production logger, the peer), the rounds (hot-path.ts) and the table (hot-path-table.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase, seed } from './seed.ts';
import { startFaro, startPeer, type Server } from './servers.ts';
import { runHotPath, type HotPathSetup, type VariantId } from './hot-path.ts';
import { hotPathTable } from './hot-path-table.ts';

const CONNECTIONS = 20;

export interface HotPathOptions {
  steadyRate: number;
  /** Run only these variants (profiling, quick checks); all when unset. */
  only?: VariantId[];
  /** Where each server writes a V8 CPU profile (`node --cpu-prof`). */
  cpuProfileDir?: string;
}

function countLines(file: string): number {
  const bytes = fs.readFileSync(file);
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines += 1;
  return lines;
}

export function hotPathPart(options: HotPathOptions): BenchPart {
  return {
    name: 'authenticated hot path',
    async run(context: BenchContext): Promise<string> {
      const run = randomBytes(4).toString('hex');
      const database = await createBenchDatabase(context.databaseUrl);
      const redis = new Redis(context.redisUrl);
      const servers: Server[] = [];
      const logFile = path.join(os.tmpdir(), `faro-bench-api-${run}.log`);
      try {
        const seeded = await seed(database.url, context.rounds);
        const common = { databaseUrl: database.url, redisUrl: context.redisUrl, agencyId: seeded.agencyId };
        const { cpuProfileDir } = options;
        // Each server has its own limiter key prefix: runs and servers share no limiter state.
        const faroPrefix = `faro:bench:${run}:silent:`;
        const faro = await startFaro({ ...common, redisKeyPrefix: faroPrefix, logger: 'silent' }, { cpuProfileDir });
        servers.push(faro);
        const faroLogged = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:logged:`, logger: 'production' }, { stdoutFile: logFile, cpuProfileDir });
        servers.push(faroLogged);
        const faroUnrecorded = await startFaro({ ...common, redisKeyPrefix: `faro:bench:${run}:unrecorded:`, logger: 'silent' }, { env: { FARO_USAGE_RECORDING: 'off' }, cpuProfileDir });
        servers.push(faroUnrecorded);
        const peer = await startPeer({ ...common, redisKeyPrefix: `faro:bench:${run}:` }, { cpuProfileDir });
        servers.push(peer);

        const setup: HotPathSetup = {
          seeded, faro, faroPrefix, faroLogged, faroUnrecorded, peer,
          redisUrl: context.redisUrl,
          meters: { admin: database.admin, databaseName: database.name, redis },
          duration: context.durationS, rounds: context.rounds, connections: CONNECTIONS, steadyRate: options.steadyRate,
          loggedLines: () => countLines(logFile),
          only: options.only,
        };
        const result = await runHotPath(setup, context.log);
        const table = hotPathTable(setup, result);
        return [
          `${CONNECTIONS} connections (the steady rows: 10), ${context.rounds} rounds of ${context.durationS} s per variant; variants compared with each other run back to back, ` +
            'in the opposite order every other round. Each row is the mean of its rounds, each ratio the median over rounds of the ratio within a round. PostgreSQL and Redis on the same machine, ' +
            'each server in its own process (FARO with logging silenced; FARO with the production logger, `createLogger` at the default level, writing to a file; ' +
            'FARO silenced with usage and request-log recording off, `FARO_USAGE_RECORDING=off`; ' +
            "the peer, bench/api/peer-server.ts). CPU per request: the server process (/proc), the bench database's Postgres backends, and Redis's time in scripts " +
            '(INFO commandstats: both rate limiters are scripts; Redis is shared, so other clients\' scripts can add to it). Latencies are 2xx answers only.',
          '',
          table.markdown,
          '',
          `The production logger wrote ${result.logLinesPerRequest.toFixed(2)} lines per request.`,
        ].join('\n');
      } finally {
        for (const server of servers) await server.stop();
        fs.rmSync(logFile, { force: true });
        redis.disconnect();
        await database.drop();
      }
    },
  };
}
