import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../kit/errors.ts';
import type { App } from './app-type.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** onRequest hook for /admin/v1: `Authorization: Bearer <FARO_ADMIN_TOKEN>`, compared in constant time. */
function requireAdminToken(expected: string) {
  const expectedDigest = digest(expected);
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new ApiError('invalid_admin_token', 'Send the operator token as `Authorization: Bearer <token>`.');
    if (!timingSafeEqual(digest(match[1]), expectedDigest)) throw new ApiError('invalid_admin_token');
  };
}

/**
 * Makes every route of an (encapsulated) admin plugin an operator route. onRequest, not
 * preHandler: callers without the token are refused before the body is parsed or validated, so
 * they neither learn the schemas from 400s nor make us parse 1 MiB bodies.
 */
export function operatorRoutesOnly(app: App): void {
  const { adminToken } = app.ctx.config;
  if (!adminToken) throw new Error('adminToken must be resolved before routes are registered');
  app.addHook('onRequest', requireAdminToken(adminToken));
}
