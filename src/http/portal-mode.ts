import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxService } from '../domains/testing/sandbox.ts';
import { MODE_HEADER, requestedMode } from '../domains/testing/mode.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The agency a portal request reads: the session's, or its sandbox in test mode (`Faro-Mode: test`). */
    portalAgencyId?: string;
  }
}

/** An onRequest hook, after requirePortalSession: sets `request.portalAgencyId` by the mode asked for. */
export function resolvePortalAgency(sandboxes: Pick<SandboxService, 'ensure'>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const live = request.portalSession!.agency.id;
    const mode = requestedMode(request.headers[MODE_HEADER]);
    request.portalAgencyId = mode === 'live' ? live : (await sandboxes.ensure(live)).id;
    void reply.header(MODE_HEADER, mode);
  };
}
