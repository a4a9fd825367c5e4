import type { FastifyRequest } from 'fastify';
import { ApiError } from '../kit/errors.ts';

/*
 * Request body limits, in bytes. Each is sized to the largest valid body of its routes in the
 * worst JSON encoding a client library produces: every character escaped as a \u surrogate pair
 * (12 bytes for one code point, e.g. Python's json.dumps default), as schema maxLength counts
 * code points. Anything larger cannot be valid, so it is refused before it is read.
 */

/** Routes without their own limit. The largest of them, a webhook subscription (url 2,048 + events 6 × 100 + description 500), is ~38 KB. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Portal login and logout, which anyone can call: email 254 + password 200 is ~5.5 KB. */
export const SESSION_BODY_LIMIT_BYTES = 8 * 1024;

/** Lead create and update: notes 10,000 + name, email, phone, source, location id ~650 is ~128 KB. */
export const LEAD_BODY_LIMIT_BYTES = 128 * 1024;

export function payloadTooLarge(request: FastifyRequest): ApiError {
  const limit = request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES;
  return new ApiError('payload_too_large', `Request bodies on this endpoint are limited to ${limit} bytes.`);
}
