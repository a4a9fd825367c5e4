/**
 * Telling "the database is unreachable" apart from every other database error: the first is an
 * outage the client should retry (503), the second a bug or a bad request. And waiting for the
 * database at start, since containers come up in any order.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { DB } from './types.ts';

// SQLSTATE classes and codes that mean the server went away or cannot take us right now.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08P01']);
const UNAVAILABLE_SYSCALL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
// node-postgres reports a dead or dying connection with these messages (no code).
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection is closed',
];
/** A login the server refused (no such role, bad password, no such database): no retry helps. */
const FATAL_CONFIGURATION_SQLSTATES = new Set(['28000', '28P01', '3D000']);

function causes(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue = [error];
  while (queue.length > 0 && seen.length < 10) {
    const next = queue.shift();
    if (next === undefined || next === null || seen.includes(next)) continue;
    seen.push(next);
    if (next instanceof AggregateError) queue.push(...next.errors);
    if (next instanceof Error && next.cause !== undefined) queue.push(next.cause);
  }
  return seen;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((each) => {
    const code = codeOf(each);
    if (code && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SYSCALL_CODES.has(code))) return true;
    const message = each instanceof Error ? each.message : '';
    return UNAVAILABLE_MESSAGES.some((known) => message.startsWith(known));
  });
}

export class DatabaseConfigurationError extends Error {
  override name = 'DatabaseConfigurationError';
}

/** "host:port/database" of a connection string, for log lines; never the password. */
export function describeDatabaseUrl(connectionString: string): string {
  const url = new URL(connectionString);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

export interface WaitLogger {
  warn(obj: object, msg: string): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * Resolves once the database answers. While it is unreachable: one log line per try, naming
 * where, and tries again with backoff (forever: an orchestrator decides when to give up). A
 * refused login or a missing database is final: DatabaseConfigurationError.
 */
export async function waitForDatabase(db: Kysely<DB>, where: string, logger: WaitLogger, signal?: AbortSignal): Promise<void> {
  let retryMs = FIRST_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(db);
      return;
    } catch (error) {
      const code = codeOf(error);
      if (code && FATAL_CONFIGURATION_SQLSTATES.has(code)) {
        throw new DatabaseConfigurationError(`PostgreSQL at ${where} refused the connection: ${(error as Error).message} (check DATABASE_URL)`, { cause: error });
      }
      if (!isDatabaseUnavailable(error)) throw error;
      logger.warn(
        { database: where, attempt, retryInMs: retryMs, reason: (error as Error).message || codeOf(error) },
        `database at ${where} is not reachable (${codeOf(error) ?? (error as Error).message}); retrying in ${retryMs} ms`,
      );
      await delay(retryMs, undefined, { signal });
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  }
}

/**
 * Runs `work` until it completes, waiting out a database that goes away before or during it (a
 * failover while an instance starts). `work` must be safe to run again after an interruption: the
 * migrator is, each migration being one transaction that first checks whether it was applied.
 */
export async function retryWhileUnavailable<T>(db: Kysely<DB>, where: string, logger: WaitLogger, work: () => Promise<T>): Promise<T> {
  for (;;) {
    await waitForDatabase(db, where, logger);
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      logger.warn({ database: where, reason: (error as Error).message }, `lost the database at ${where} while starting; retrying`);
    }
  }
}
