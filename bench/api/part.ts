// bench:api is a list of parts, each measured on its own and recorded in order in the bench:api
// section of docs/benchmarks.md. A part sets up what it needs (database, servers) and cleans up.

export interface BenchContext {
  /** A Postgres server where parts create (and drop) databases of their own. */
  databaseUrl: string;
  redisUrl: string;
  durationS: number;
  rounds: number;
  /** BENCH_CPU_PROF: where the servers write V8 CPU profiles (parts that support it). */
  cpuProfileDir?: string | undefined;
  /** Progress lines, printed as the run goes. */
  log(line: string): void;
}

export interface BenchPart {
  name: string;
  /** Markdown for the report: what was measured, how, and its table. */
  run(context: BenchContext): Promise<string>;
}
