// Postgres CPU spent for one database: user + system time of every server process connected to it
// (client backends and autovacuum workers, as pg_stat_activity lists them), read from
// /proc/<pid>/stat. Postgres must run on this machine, visible to this process. Processes shared by
// every database (WAL writer, checkpointer, background writer) are left out: other databases on
// the same server also feed them. Sampled every SAMPLE_MS so that a backend ending mid-run loses at
// most that much of its time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type pg from 'pg';

const SAMPLE_MS = 250;
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ms of a process so far, or null when it is gone or not visible. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which ends with the last ')': state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return null;
  }
}

export interface PostgresCpuMeter {
  /** Stops sampling; answers the CPU ms the database's processes spent since start(). */
  stop(): Promise<number>;
}

/** Null when the server's processes cannot be seen (another machine or container). */
export async function startPostgresCpuMeter(admin: pg.Client, database: string): Promise<PostgresCpuMeter | null> {
  const { rows: [self] } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  if (processCpuMs(self!.pid) === null) return null;
  /** Per process: its CPU when first seen (0 for one that started after start()) and when last seen. */
  const seen = new Map<number, { base: number; last: number }>();
  let first = true;
  async function sample(): Promise<void> {
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    for (const { pid } of rows) {
      const cpu = processCpuMs(pid);
      if (cpu === null) continue;
      const known = seen.get(pid);
      if (known) known.last = cpu;
      else seen.set(pid, { base: first ? cpu : 0, last: cpu });
    }
    first = false;
  }
  await sample();
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => undefined);
  }, SAMPLE_MS);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await sample();
      let total = 0;
      for (const { base, last } of seen.values()) total += last - base;
      return total;
    },
  };
}
