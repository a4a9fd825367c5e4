// What OpenTelemetry tracing costs the authenticated hot path (src/observability/): the same read
// of a location by id with an API key (a span for the request, the limiter's Redis call and the
// SQL it runs) on three FARO processes: tracing off (the default: no SDK, no span made), on with
// every span recorded and dropped by the exporter, and on exporting OTLP over http/protobuf to a
// local sink that accepts every batch. Rounds alternate the order of the three.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BenchContext, BenchPart } from './part.ts';
import { createBenchDatabase, seed } from './seed.ts';
import { startFaro, type FaroServerArgs, type Server } from './servers.ts';
import { measure, summarise, type Sample } from './load.ts';

const CONNECTIONS = 20;
const VARIANTS = ['off', 'discard', 'otlp'] as const;
type Variant = (typeof VARIANTS)[number];
const LABELS: Record<Variant, string> = {
  off: 'tracing off (no OTLP endpoint)',
  discard: 'tracing on, spans recorded and dropped',
  otlp: 'tracing on, OTLP http/protobuf to a local sink',
};

/** An OTLP/HTTP receiver that accepts and counts every export. */
async function startSink(): Promise<{ url: string; exports: () => number; bytes: () => number; close(): Promise<void> }> {
  let exports = 0;
  let bytes = 0;
  const server = http.createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      exports += 1;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    bytes: () => bytes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;

export const tracingPart: BenchPart = {
  name: 'tracing',
  async run(context: BenchContext): Promise<string> {
    const run = randomBytes(4).toString('hex');
    const database = await createBenchDatabase(context.databaseUrl);
    const redis = new Redis(context.redisUrl);
    const sink = await startSink();
    const servers = new Map<Variant, Server>();
    try {
      const seeded = await seed(database.url, 0);
      const tracing: Record<Variant, FaroServerArgs['tracing']> = { off: 'off', discard: 'discard', otlp: { otlpEndpoint: sink.url } };
      for (const variant of VARIANTS) {
        servers.set(variant, await startFaro({
          databaseUrl: database.url, redisUrl: context.redisUrl, agencyId: seeded.agencyId,
          redisKeyPrefix: `faro:bench:${run}:${variant}:`, logger: 'silent', tracing: tracing[variant],
        }, { cpuProfileDir: context.cpuProfileDir }));
      }
      const meters = { admin: database.admin, databaseName: database.name, redis };
      const target = (variant: Variant) => ({
        url: `${servers.get(variant)!.url}/api/v1/locations/${seeded.locationId}`,
        headers: { authorization: `Bearer ${seeded.freshKey.key}` },
        serverPid: servers.get(variant)!.pid,
      });
      const load = { duration: context.durationS, connections: CONNECTIONS };
      for (const variant of VARIANTS) await measure(target(variant), { ...load, duration: Math.min(3, context.durationS) }, meters);

      const samples = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]));
      let otlpRequests = 0;
      const exportsBefore = sink.exports();
      const bytesBefore = sink.bytes();
      for (let round = 0; round < context.rounds; round++) {
        const order = round % 2 === 0 ? [...VARIANTS] : [...VARIANTS].reverse();
        for (const variant of order) {
          const sample = await measure(target(variant), load, meters);
          if (variant === 'otlp') otlpRequests += sample.requests;
          samples.get(variant)!.push(sample);
          context.log(`round ${round + 1}/${context.rounds} ${variant.padEnd(8)} ${sample.rps.toFixed(0).padStart(6)} req/s  p99 ${sample.p99.toFixed(2)} ms  server ${sample.serverCpuUs.toFixed(0)} µs/req  bad ${sample.bad}`);
        }
      }
      const off = samples.get('off')!;
      const rows = ['| variant | req/s | p50 ms | p99 ms | server CPU µs/req | req/s vs off | CPU/req vs off |', '|---|---:|---:|---:|---:|---:|---:|'];
      for (const variant of VARIANTS) {
        const mine = samples.get(variant)!;
        const s = summarise(mine);
        const rps = median(mine.map((sample, round) => sample.rps / off[round]!.rps));
        const cpu = median(mine.map((sample, round) => sample.serverCpuUs / off[round]!.serverCpuUs));
        rows.push(`| ${LABELS[variant]} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.serverCpuUs.toFixed(0)} | ${variant === 'off' ? '—' : percent(rps)} | ${variant === 'off' ? '—' : percent(cpu)} |`);
      }
      const exported = sink.bytes() - bytesBefore;
      return [
        `GET /api/v1/locations/:id with an API key, ${CONNECTIONS} connections, ${context.rounds} rounds of ${context.durationS} s per variant, ` +
          'the three variants back to back in alternating order; each row the mean of its rounds, each ratio the median over rounds of the ratio within a round. ' +
          'Each traced request makes a server span with the limiter\'s Redis span and its SQL spans as children; the SDK is the one `npm start` starts ' +
          '(BatchSpanProcessor, default limits), each server in its own process, PostgreSQL and Redis on the same machine.',
        '',
        ...rows,
        '',
        `The OTLP sink took ${sink.exports() - exportsBefore} exports, ${(exported / Math.max(1, otlpRequests)).toFixed(0)} bytes per traced request.`,
      ].join('\n');
    } finally {
      for (const server of servers.values()) await server.stop();
      redis.disconnect();
      await sink.close();
      await database.drop();
    }
  },
};
