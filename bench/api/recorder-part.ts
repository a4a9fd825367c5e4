// The usage recorder alone (src/domains/usage/recorder.ts), in this process, writing into a bench
// database: the API process's CPU to record a request and to flush its row, and Postgres's to
// store it. A server's requests leave garbage behind, and rows that wait for their flush are
// copied by every young-generation collection meanwhile; so each recorded request here also
// allocates about 2 KB of short-lived objects, and a baseline loop that records nothing is
// measured alike and subtracted.
import { setImmediate } from 'node:timers/promises';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { openPostgres } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createUsageRecorder, type RecordedRequest } from '../../src/domains/usage/recorder.ts';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase } from './seed.ts';
import { startPostgresCpuMeter } from '../webhooks/postgres-cpu.ts';

/** Rows per flush: what the recorder writes at 10,000 req/s once half its default buffer is full. */
const ROWS_PER_FLUSH = 10_000;
const FLUSHES = 30;

const cpuUs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

/** One request's worth of short-lived objects, as a server's handling leaves behind. */
const requestGarbage = (n: number) => Array.from({ length: 40 }, (_, i) => ({ i, label: `field ${n + i}` }));

function request(n: number): RecordedRequest {
  return {
    agencyId: 'agy_01jd5m0d9d6v3fw8p3n4q7r2s1',
    keyId: 'key_01jd5m0d9d6v3fw8p3n4q7r2s1',
    method: 'GET',
    path: `/api/v1/locations/loc_01jd5m0d9d6v3fw8p3n4q7r${n % 1000}`,
    status: 200,
    durationMs: 1 + (n % 97) / 100,
    requestId: `req_${(n * 7919).toString(16).padStart(24, '0')}`,
    clientIp: '127.0.0.1',
  };
}

export const recorderPart: BenchPart = {
  name: 'usage recorder alone',
  async run(context: BenchContext): Promise<string> {
    const bench = await createBenchDatabase(context.databaseUrl);
    const database = await openPostgres(bench.url, 2);
    try {
      await migrate(database.db);
      const logger = pino({ level: 'silent' }) as FastifyBaseLogger;
      const recorder = createUsageRecorder({ db: database.db, copyRows: database.copyRows, clock: systemClock, logger, config: { flushIntervalMs: 3_600_000, requestLogBuffer: 4 * ROWS_PER_FLUSH } });
      let baselineUs = 0;
      let recordUs = 0;
      let flushUs = 0;
      let postgresMs = 0;
      let kept = 0;
      for (let flush = 0; flush < FLUSHES; flush++) {
        // The same loop twice: once building the request and dropping it, once recording it.
        for (const recording of [false, true]) {
          const started = process.cpuUsage();
          for (let n = 0; n < ROWS_PER_FLUSH; n++) {
            const built = request(n);
            kept += requestGarbage(n).length;
            if (recording) recorder.record(built);
            // Turns of the event loop, as between a server's requests.
            if (n % 100 === 99) await setImmediate();
          }
          if (recording) recordUs += cpuUs(started);
          else baselineUs += cpuUs(started);
        }
        const meter = await startPostgresCpuMeter(bench.admin, bench.name);
        const started = process.cpuUsage();
        await recorder.flush();
        flushUs += cpuUs(started);
        postgresMs += (await meter?.stop()) ?? Number.NaN;
      }
      await recorder.stop();
      const rows = FLUSHES * ROWS_PER_FLUSH;
      const recorded = (recordUs - baselineUs) / rows;
      const flushed = flushUs / rows;
      const postgres = (postgresMs * 1000) / rows;
      const stats = recorder.stats();
      context.log(`recorder: record ${recorded.toFixed(2)} µs, flush ${flushed.toFixed(2)} µs, Postgres ${postgres.toFixed(2)} µs per request (${kept} objects of garbage)`);
      return [
        `${FLUSHES} flushes of ${ROWS_PER_FLUSH.toLocaleString('en-US')} recorded requests each, in the bench process, into a bench database on the same Postgres (bench/api/recorder-part.ts). ` +
          'Record: CPU of the loop that records, less the same loop not recording. Flush: CPU of the flush (the hourly upsert, the rows written as COPY data in the binary format and sent). Postgres: its processes for that database during the flushes.',
        '',
        '| record µs/request | flush µs/row | API process µs/request | Postgres µs/row | dropped rows |',
        '|---:|---:|---:|---:|---:|',
        `| ${recorded.toFixed(2)} | ${flushed.toFixed(2)} | **${(recorded + flushed).toFixed(2)}** | ${postgres.toFixed(2)} | ${stats.droppedLogs} |`,
      ].join('\n');
    } finally {
      await database.close();
      await bench.drop();
    }
  },
};
