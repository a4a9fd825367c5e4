/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), `traceparent` only: with tracing off
 * (the default), its trace id goes on every log line of the request (`trace_id`), so a request can
 * be found from the caller's trace; `tracestate` is ignored. With tracing on, the OpenTelemetry
 * propagator reads the headers instead and the request's span continues the trace
 * (src/observability/http-spans.ts).
 */

/** version-traceid-parentid-flags, lower-case hex; later versions may append `-…`. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ALL_ZEROS = /^0+$/;

/**
 * The trace id of a `traceparent` value, or undefined if the value is not valid:
 * `version-traceid-parentid-flags`, lower-case hex of 2, 32, 16 and 2 digits; version `ff`,
 * an all-zero trace id and an all-zero parent id are invalid. Version 00 is exactly 55
 * characters; a later version may append `-…` fields, which are ignored, as the spec asks of
 * versions a parser does not know.
 */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  const [, version, traceId, parentId, more] = match;
  if (version === 'ff' || (version === '00' && more !== undefined)) return undefined;
  if (ALL_ZEROS.test(traceId!) || ALL_ZEROS.test(parentId!)) return undefined;
  return traceId;
}
