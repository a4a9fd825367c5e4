import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PGlite } from '@electric-sql/pglite';
import type { DB, Executor } from './types.ts';
import { openEmbeddedPglite, SerializedPGliteDialect } from './pglite.ts';
import { PreparingClient } from './prepared-client.ts';
import { listenWithReconnect, type ListenHandlers } from './listener.ts';
import { tracedDialect } from '../observability/database-spans.ts';

/**
 * The database handle shared by every domain. `kind` tells the two backends apart only where
 * they truly differ (wake-up signalling, pool size); queries are the same SQL on both.
 */
export interface Database {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /**
   * Subscribe to NOTIFY on a channel; returns the unsubscribe function. On Postgres a lost
   * connection is re-established by itself; `events` hear about it (see db/listener.ts).
   */
  listen(channel: string, onPayload: (payload: string) => void, events?: Omit<ListenHandlers, 'onPayload'>): Promise<() => Promise<void>>;
  /**
   * Appends rows to a table with `COPY … FROM STDIN (FORMAT binary)`: `rows` are chunks of COPY's
   * binary format, header and trailer included (see db/copy-binary.ts), sent as they come. For
   * append-only bulk writes (the request log), where an INSERT's parameters cost Postgres more to
   * parse than the rows cost to store. Not part of any transaction.
   */
  copyRows(table: string, columns: readonly string[], rows: AsyncIterable<Uint8Array>): Promise<void>;
  /** Connections right now, for the metrics (absent on a detached database, which has none). */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

/**
 * The connection pool's state. PGlite has one connection that callers take turns on (a pool of
 * one): `total` is 1, `idle` 1 while no statement or transaction holds it, `waiting` the queue.
 */
export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

/** Raise a NOTIFY; inside a transaction it is delivered only if and when that transaction commits. */
export async function notify(executor: Executor, channel: string, payload = ''): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(executor);
}

const INT8 = 20;

/** `traced`: a span per statement run inside a request or webhook attempt (config.tracing). */
export interface DatabaseOptions {
  traced?: boolean;
}

const dialectFor = (dialect: Dialect, options: DatabaseOptions) => (options.traced ? tracedDialect(dialect) : dialect);

export async function openPostgres(connectionString: string, poolSize = 10, options: DatabaseOptions = {}): Promise<Database> {
  const types = {
    getTypeParser(oid: number, format?: string) {
      // counts come back as int8; they fit a JS number by far.
      if (oid === INT8) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
  // A connect attempt to an unreachable host fails after this instead of hanging the request.
  const pool = new pg.Pool({ connectionString, max: poolSize, types, Client: PreparingClient, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries surface their own errors.
  });
  pool.on('connect', (client) => {
    // The pool listens for errors only while a client is idle. A checked-out client that gets a
    // FATAL between two statements (a failover inside a transaction) emits 'error', and with no
    // listener that kills the process. Its next query fails instead, and the pool drops it.
    client.on('error', () => undefined);
  });
  const db = new Kysely<DB>({ dialect: dialectFor(new PostgresDialect({ pool }), options) });
  const poolStats = (): PoolStats => ({ max: poolSize, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  const listeners = new Set<() => Promise<void>>();
  return {
    db,
    kind: 'postgres',
    poolStats,
    async copyRows(table, columns, rows) {
      const client = await pool.connect();
      try {
        await pipeline(Readable.from(rows), client.query(copyFrom(copyStatement(table, columns, 'STDIN'))));
        client.release();
      } catch (error) {
        // Whether the server ended the COPY cleanly is not known here: a new connection is safer.
        client.release(error instanceof Error ? error : true);
        throw error;
      }
    },
    async listen(channel, onPayload, events = {}) {
      const unlisten = await listenWithReconnect({ connectionString, types }, channel, { onPayload, ...events });
      listeners.add(unlisten);
      return async () => {
        listeners.delete(unlisten);
        await unlisten();
      };
    },
    async close() {
      await Promise.all([...listeners].map((unlisten) => unlisten()));
      listeners.clear();
      await db.destroy();
    },
  };
}

/**
 * Wrap an open PGlite (embedded mode and tests) in the same Database interface. Closing the
 * Kysely instance closes PGlite too; `onClose` runs after (e.g. to release the data-dir lock).
 */
export function wrapPglite(pglite: PGlite, onClose: () => Promise<void> = async () => undefined, options: DatabaseOptions = {}): Database {
  const dialect = new SerializedPGliteDialect(pglite);
  const db = new Kysely<DB>({ dialect: dialectFor(dialect, options) });
  return {
    db,
    kind: 'pglite',
    poolStats: () => ({ max: 1, total: 1, idle: dialect.turns.holding ? 0 : 1, waiting: dialect.turns.waiting }),
    async copyRows(table, columns, rows) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of rows) chunks.push(chunk);
      // Holding Kysely's connection is holding PGlite's one turn: no statement runs in between.
      await db.connection().execute(() => pglite.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob: new Blob(chunks) }));
    },
    async listen(channel, onPayload) {
      return pglite.listen(channel, onPayload);
    },
    async close() {
      await db.destroy();
      await onClose();
    },
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function copyStatement(table: string, columns: readonly string[], source: string): string {
  // Names are the repositories' constants, never input; checked since they go into SQL unquoted.
  for (const name of [table, ...columns]) if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT binary)`;
}

export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string } & DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, undefined, options);
  const embedded = await openEmbeddedPglite(options.dataDir);
  return wrapPglite(embedded.pglite, embedded.close, options);
}
