/*
 * A client span per SQL statement, made where every statement of both backends passes: the
 * connection's executeQuery (a Kysely plugin sees queries before they run, not how long they take).
 * The span carries the SQL as sent, with `$n` placeholders: parameter values never go into traces.
 * Statements run outside any span (the worker's polling, migrations at start) are not traced, or
 * every poll would be a trace of its own.
 */
import { SpanKind } from '@opentelemetry/api';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryResult } from 'kysely';
import { hasActiveSpan, recordFailure, tracer } from './tracer.ts';

const LEADING_COMMENTS = /^(?:\s+|\/\*[\s\S]*?\*\/|--[^\n]*\n)*/;

/** The statement's first keyword (`SELECT`, `INSERT`, `WITH`, `BEGIN`…), after any leading comment. */
export function operationOf(text: string): string {
  const rest = text.replace(LEADING_COMMENTS, '');
  const keyword = /^[A-Za-z]+/.exec(rest)?.[0];
  return keyword ? keyword.toUpperCase() : 'SQL';
}

async function inSpan<R>(query: CompiledQuery, run: () => Promise<QueryResult<R>>): Promise<QueryResult<R>> {
  const operation = operationOf(query.sql);
  const span = tracer.startSpan(operation, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system': 'postgresql',
      'db.system.name': 'postgresql',
      'db.operation.name': operation,
      'db.query.text': query.sql,
    },
  });
  try {
    return await run();
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

const traced = new WeakSet<DatabaseConnection>();

/** Drivers hand out the same connection objects again (one per pooled client): each is wrapped once. */
function traceQueries(connection: DatabaseConnection): DatabaseConnection {
  if (traced.has(connection)) return connection;
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = <R>(query: CompiledQuery, options?: Parameters<DatabaseConnection['executeQuery']>[1]) =>
    hasActiveSpan() ? inSpan(query, () => execute<R>(query, options)) : execute<R>(query, options);
  traced.add(connection);
  return connection;
}

function traceConnections(driver: Driver): Driver {
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async (options) => traceQueries(await acquire(options));
  return driver;
}

/** The same dialect, with a span around each statement its connections run. */
export function tracedDialect(dialect: Dialect): Dialect {
  return {
    createDriver: () => traceConnections(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Dialect's own signature
    createIntrospector: (db: Kysely<any>) => dialect.createIntrospector(db),
  };
}
