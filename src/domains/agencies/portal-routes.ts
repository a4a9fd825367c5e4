import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-type.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { SESSION_BODY_LIMIT_BYTES } from '../../http/body-limits.ts';
import {
  DEVICE_COOKIE,
  clearSessionCookie,
  loadPortalSession,
  requirePortalSession,
  setDeviceCookie,
  setSessionCookie,
} from '../../http/portal-auth.ts';
import { LoginBody, SessionView } from './schemas.ts';
import { sessionView } from './sessions.ts';

/** Portal login, logout and "who am I". */
export async function portalSessionRoutes(app: App): Promise<void> {
  const { sessions } = app.ctx.services;
  // Secure whenever the request came over https, or the service is published on https at all.
  const httpsPublished = app.ctx.config.publicBaseUrl.startsWith('https:');
  const secureCookies = (request: FastifyRequest) => httpsPublished || request.protocol === 'https';

  app.post('/portal/api/session', {
    bodyLimit: SESSION_BODY_LIMIT_BYTES,
    config: { secret: true },
    schema: { hide: true, body: LoginBody, response: { 200: SessionView, ...ProblemResponses } },
    handler: async (request, reply) => {
      const { token, expiresAt, session, device } = await sessions.login({
        ...request.body,
        address: request.ip,
        deviceToken: request.cookies[DEVICE_COOKIE],
      });
      setSessionCookie(reply, token, expiresAt, secureCookies(request));
      setDeviceCookie(reply, device.token, device.expiresAt, secureCookies(request));
      return sessionView(session);
    },
  });

  app.get('/portal/api/me', {
    config: { secret: true },
    schema: { hide: true, response: { 200: SessionView, ...ProblemResponses } },
    preHandler: requirePortalSession(sessions),
    handler: async (request) => sessionView(request.portalSession!),
  });

  app.delete('/portal/api/session', {
    bodyLimit: SESSION_BODY_LIMIT_BYTES,
    schema: { hide: true },
    handler: async (request, reply) => {
      const session = await loadPortalSession(request, sessions);
      if (session) await sessions.logout(session.sessionId);
      clearSessionCookie(reply, secureCookies(request));
      return reply.code(204).send();
    },
  });
}
