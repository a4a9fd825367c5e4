import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * FARO's tracer. Until a tracer provider is registered (tracing.ts, or a test's) it makes
 * non-recording spans; callers still only make spans when `config.tracing` is on.
 */
export const tracer = trace.getTracer('faro/observability');

/** Whether a span started now would have a parent: database and Redis calls outside any request or attempt are not traced. */
export function hasActiveSpan(): boolean {
  return trace.getActiveSpan() !== undefined;
}

/**
 * Marks a span failed with the error's kind only: messages of database and network errors can
 * quote the values involved (a duplicate key, an invalid id), which stay out of traces.
 */
export function recordFailure(span: Span, error: unknown): void {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  const kind = typeof code === 'string' ? code : typeof name === 'string' ? name : 'Error';
  span.setAttribute('error.type', kind);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Runs `work` in no trace: background work woken from inside a request (an in-process NOTIFY on
 * PGlite fires during the request's commit) must not join that request's trace.
 */
export function outsideAnyTrace<T>(work: () => T): T {
  return context.with(ROOT_CONTEXT, work);
}

export type { Attributes };
