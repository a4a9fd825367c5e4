// `npm run bench:api`: the public API against PostgreSQL + Redis. Its parts (bench/api/part.ts)
// run in order; the report is printed and recorded in the bench:api section of docs/benchmarks.md.
//
// The authenticated hot path (bench/api/hot-path-part.ts): a list and a cheap single-row read,
// with and without the API-key guard and rate limit, with a full-window key, with the production
// logger, and the same read on a minimal Fastify + pg peer with and without @fastify/rate-limit,
// in alternating rounds. Then what preparing the hot queries saves Postgres (bench/api/prepared-part.ts),
// what OpenTelemetry tracing costs the read, off and on (bench/api/tracing-part.ts), and what usage
// and request-log recording costs the cheap read (bench/api/recording-part.ts).
//
// Then what Prometheus metrics cost that hot path, on vs off in alternating rounds (bench/api/metrics-part.ts).
//
// BENCH_DURATION_S (6), BENCH_ROUNDS (5), BENCH_STEADY_RPS (500) shape the run. For profiling and
// quick checks: BENCH_ONLY=<variant ids> runs some hot-path variants only, BENCH_PARTS=<part names>
// some parts only (e.g. `tracing`; both printed, not recorded);
// BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server process there (summarised by
// `node bench/api/profile.ts <file>`); BENCH_PERF=1 lets `perf record` name JavaScript frames.
import path from 'node:path';
import { writeBenchmarkSection, machineDescription } from './report.ts';
import type { BenchContext, BenchPart } from './api/part.ts';
import { hotPathPart } from './api/hot-path-part.ts';
import { preparedPart } from './api/prepared-part.ts';
import { metricsPart } from './api/metrics-part.ts';
import { tracingPart } from './api/tracing-part.ts';
import { recordingPart } from './api/recording-part.ts';
import { recorderPart } from './api/recorder-part.ts';
import type { VariantId } from './api/hot-path.ts';

const only = process.env.BENCH_ONLY?.split(',').map((id) => id.trim()) as VariantId[] | undefined;
const context: BenchContext = {
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  durationS: Number(process.env.BENCH_DURATION_S ?? 6),
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  cpuProfileDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
  log: (line) => console.log(line),
};

const hotPath = hotPathPart({
  steadyRate: Number(process.env.BENCH_STEADY_RPS ?? 500),
  only,
  cpuProfileDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
});
const parts: BenchPart[] = [
  hotPath,
  preparedPart,
  metricsPart,
  tracingPart,
  recordingPart,
  recorderPart,
  // bench/api-polling.ts adds its part here: the list filters' p50 at 10k / 300k / 1M rows.
];

const partNames = process.env.BENCH_PARTS?.split(',').map((name) => name.trim());
const chosen = only ? [hotPath] : partNames ? parts.filter((part) => partNames.includes(part.name)) : parts;
if (chosen.length === 0) throw new Error(`BENCH_PARTS names no part; the parts are: ${parts.map((part) => part.name).join(', ')}`);
const partial = only !== undefined || partNames !== undefined;

const sections: string[] = [];
// BENCH_ONLY picks hot-path variants: the other parts sit that run out.
for (const part of chosen) {
  context.log(`— ${part.name}`);
  sections.push(`### ${part.name[0]!.toUpperCase()}${part.name.slice(1)}\n\n${await part.run(context)}`);
}
const body = sections.join('\n\n');
console.log(`\n${machineDescription()}\n\n${body}\n`);
if (!partial) writeBenchmarkSection('bench:api', body);
