/**
 * A pg client that runs SQL marked `/* prepared: <name> *\/` as a named prepared statement:
 * Postgres parses and plans it once per connection instead of on every call. The delivery
 * queue's claim and record statements are large (CTEs, laterals) and run hundreds of times a
 * second; planning them anew each time cost as much as running them (docs/benchmarks.md).
 *
 * Only mark statements with an explicit column list: a prepared `SELECT *` fails with "cached
 * plan must not change result type" once a migration adds a column under a live connection.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

const MARKER = /^\s*\/\* prepared: ([a-z0-9_]+) \*\//;

/** The statement's name on the connection; the text's hash keeps two texts under one marker apart. */
export function preparedStatementName(text: string): string | null {
  const marker = MARKER.exec(text);
  if (!marker) return null;
  return `${marker[1]}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
}

export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // Kysely calls query(text, values); every other form (config objects, streams) passes through.
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const [text, values] = args;
      const name = args.length <= 2 && typeof text === 'string' ? preparedStatementName(text) : null;
      return name ? query({ name, text, values }) : query(...args);
    }) as pg.Client['query'];
  }
}
