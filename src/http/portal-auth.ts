import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../kit/errors.ts';
import type { PortalSession, SessionService } from '../domains/agencies/sessions.ts';

export const SESSION_COOKIE = 'faro_session';
/** The known-device token; sent only to the login endpoint. */
export const DEVICE_COOKIE = 'faro_device';
const DEVICE_COOKIE_PATH = '/portal/api/session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    portalSession?: PortalSession;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Resolve the portal session from its cookie. State-changing requests must also echo the
 * session's CSRF token in a header, which a cross-site form or image cannot do.
 */
export async function loadPortalSession(request: FastifyRequest, sessions: SessionService): Promise<PortalSession | undefined> {
  const session = await sessions.resolve(request.cookies[SESSION_COOKIE]);
  if (!session) return undefined;
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameToken(sent, session.csrfToken)) {
      throw new ApiError('csrf_failed', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
    }
  }
  request.portalSession = session;
  return session;
}

export function requirePortalSession(sessions: SessionService) {
  return async (request: FastifyRequest) => {
    if (!(await loadPortalSession(request, sessions))) throw new ApiError('invalid_session', 'Log in to the portal first.');
  };
}

/** Members read; owners and admins change things. */
export function requirePortalAdmin(request: FastifyRequest, _reply?: FastifyReply): void {
  const role = request.portalSession?.user.role;
  if (role !== 'owner' && role !== 'admin') {
    throw new ApiError('forbidden', 'Only owners and admins of the agency can do this; members have read-only access.');
  }
}

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

/** Kept across logouts: it says the browser signed in before, not that it is signed in. */
export function setDeviceCookie(reply: FastifyReply, token: string, expiresAt: Date, secure: boolean): void {
  void reply.setCookie(DEVICE_COOKIE, token, { path: DEVICE_COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure, expires: expiresAt });
}
