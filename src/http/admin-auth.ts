import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** preHandler for /admin/v1: `Authorization: Bearer <FARO_ADMIN_TOKEN>`, compared in constant time. */
export function requireAdminToken(expected: string) {
  const expectedDigest = digest(expected);
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new ApiError('invalid_admin_token', 'Send the operator token as `Authorization: Bearer <token>`.');
    if (!timingSafeEqual(digest(match[1]), expectedDigest)) throw new ApiError('invalid_admin_token');
  };
}
