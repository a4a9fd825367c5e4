/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), `traceparent` only: its trace id goes
 * on every log line of the request (`trace_id`), so a request can be found from the caller's
 * trace. FARO does not sample, record spans or forward the header; `tracestate` is ignored.
 */

const HEX_LOWER = /^[0-9a-f]+$/;
const ALL_ZEROS = /^0+$/;

/**
 * The trace id of a `traceparent` value, or undefined if the value is not valid:
 * `version-traceid-parentid-flags`, lower-case hex of 2, 32, 16 and 2 digits; version `ff`,
 * an all-zero trace id and an all-zero parent id are invalid. Version 00 is exactly 55
 * characters; a later version may append `-…` fields, which are ignored, as the spec asks of versions a parser does not know.
 */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string' || traceparent.length < 55) return undefined;
  const version = traceparent.slice(0, 2);
  const traceId = traceparent.slice(3, 35);
  const parentId = traceparent.slice(36, 52);
  const flags = traceparent.slice(53, 55);
  if (traceparent[2] !== '-' || traceparent[35] !== '-' || traceparent[52] !== '-') return undefined;
  if (!HEX_LOWER.test(version + traceId + parentId + flags) || version === 'ff') return undefined;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(parentId)) return undefined;
  const rest = traceparent.slice(55);
  if (version === '00' ? rest !== '' : rest !== '' && !rest.startsWith('-')) return undefined;
  return traceId;
}
