import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/*
 * Every request has an id: in every log line of it, in the `Request-Id` response header, in a
 * problem's `request_id` and in the audit entries it writes. A caller (a client, or a proxy in
 * front of FARO) may choose it by sending `Request-Id` or `X-Request-Id`, so its logs and ours
 * meet; anything that is not plainly an id is ignored rather than written into logs and headers.
 */

/** 1–200 letters, digits and `-._:/+=@~`: UUIDs, ULIDs, hex, base64(url), `req_…` all fit. */
export const CLIENT_REQUEST_ID = /^[A-Za-z0-9\-._:/+=@~]{1,200}$/;

/** The caller's id: `Request-Id` if well formed, else `X-Request-Id` if well formed. */
export function clientRequestId(headers: IncomingHttpHeaders): string | undefined {
  for (const name of ['request-id', 'x-request-id']) {
    const value = headers[name];
    if (typeof value === 'string' && CLIENT_REQUEST_ID.test(value)) return value;
  }
  return undefined;
}

// `req_` + 96 random bits in hex. Random bytes are drawn in batches: one randomBytes(12) per
// request cost 5-18 µs; a slice of a pool filled 256 ids at a time costs 0.1-0.5 µs, as much as
// crypto.randomUUID (`npm run bench:request`). Ids stay unguessable and, unlike a counter, say
// nothing about traffic.
const ID_BYTES = 12;
const pool = Buffer.alloc(ID_BYTES * 256);
let offset = pool.length;

export function newRequestId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return `req_${id}`;
}

/** Fastify's `genReqId`: the caller's id when it sent a good one, else a new one. */
export function requestIdFor(request: { headers: IncomingHttpHeaders }): string {
  return clientRequestId(request.headers) ?? newRequestId();
}
