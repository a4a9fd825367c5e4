/**
 * A pg client that runs statements as named prepared statements, so Postgres parses and plans
 * each one once per connection instead of on every call:
 *
 * - SQL marked `/* prepared: <name> *\/`, always, even inside a transaction. The delivery
 *   queue's claim and record statements are large (CTEs, laterals) and run hundreds of times a
 *   second; planning them anew each time cost as much as running them (docs/benchmarks.md).
 *   Mark only statements with an explicit column list: a prepared `SELECT *` fails with "cached
 *   plan must not change result type" once a migration adds a column under a live connection.
 * - Every other statement with parameters that runs outside a transaction, list pages excepted
 *   (PAGED below): the public API's key lookup and reads by id as Kysely builds them, with no
 *   change to the code that builds them. These include `SELECT *`, so a statement that fails
 *   with that error is prepared afresh (under a new name) and run again, once. Outside a
 *   transaction that is safe: the error comes when the statement is bound, before it runs, and
 *   there is no transaction for it to abort. Inside one the statement runs unnamed, as before.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

const MARKER = /^\s*\/\* prepared: ([a-z0-9_]+) \*\//;

/** Statements prepared on one connection without a marker, at most; past this they run unnamed. */
export const MAX_AUTO_PREPARED = 200;
/** Longer texts (bulk inserts, long IN lists) vary too much to be worth a slot. */
const MAX_AUTO_TEXT_LENGTH = 4_000;
/**
 * List pages stay unprepared. After five runs Postgres may switch a prepared statement to a generic
 * plan that cannot see the filter's value, and for the list filters it does: an `updated_since`
 * poll then walks the agency's whole index instead of one page (140 ms against 0.1 ms at 100k rows,
 * bench:polling). Planning a page each time is the price of plans that stay flat at any size.
 */
const PAGED = /\blimit \$\d+\s*$/i;
/** Postgres's "cached plan must not change result type": its code (feature_not_supported) and where it is raised (not translated). */
const isResultTypeChange = (error: unknown) => {
  const { code, routine } = error as { code?: string; routine?: string };
  return code === '0A000' && routine === 'RevalidateCachedQuery';
};

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 12);

/** The statement's name on the connection; the text's hash keeps two texts under one marker apart. */
export function preparedStatementName(text: string): string | null {
  const marker = MARKER.exec(text);
  if (!marker) return null;
  return `${marker[1]}_${sha1(text)}`;
}

/** Text → hash for unmarked statements, shared by every connection; bounded, as the texts are. */
const autoHashes = new Map<string, string>();
function autoHash(text: string): string {
  let hash = autoHashes.get(text);
  if (hash === undefined) {
    if (autoHashes.size >= MAX_AUTO_PREPARED * 5) autoHashes.clear();
    hash = sha1(text);
    autoHashes.set(text, hash);
  }
  return hash;
}

type Query = (...args: unknown[]) => Promise<pg.QueryResult>;

export class PreparingClient extends pg.Client {
  /** Unmarked statements prepared on this connection, by text. */
  readonly #auto = new Set<string>();
  /** Bumped when a prepared statement's result type changed (a migration): every name is new after. */
  #generation = 0;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // Kysely calls query(text, values); every other form (config objects, streams) passes through.
    const query = this.query.bind(this) as Query;
    this.query = ((...args: unknown[]) => {
      const [text, values] = args;
      if (args.length > 2 || typeof text !== 'string') return query(...args);
      const name = preparedStatementName(text);
      if (name) return query({ name, text, values });
      if (this.#preparesAuto(text, values)) return this.#runAuto(query, text, values as unknown[]);
      return query(...args);
    }) as pg.Client['query'];
  }

  #preparesAuto(text: string, values: unknown): boolean {
    if (!Array.isArray(values) || values.length === 0 || text.length > MAX_AUTO_TEXT_LENGTH) return false;
    if (PAGED.test(text)) return false;
    // 'I': idle, outside a transaction (as of the last statement, and Kysely awaits each one).
    if (this.getTransactionStatus() !== 'I') return false;
    return this.#auto.has(text) || this.#auto.size < MAX_AUTO_PREPARED;
  }

  async #runAuto(query: Query, text: string, values: unknown[]): Promise<pg.QueryResult> {
    this.#auto.add(text);
    const run = () => query({ name: `auto_${this.#generation}_${autoHash(text)}`, text, values });
    try {
      return await run();
    } catch (error) {
      if (!isResultTypeChange(error) || this.getTransactionStatus() !== 'I') throw error;
      // The old statements stay on the server until the connection closes; they are never run again.
      this.#generation += 1;
      this.#auto.clear();
      this.#auto.add(text);
      return run();
    }
  }
}
