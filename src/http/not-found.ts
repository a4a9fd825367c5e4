/**
 * What a request no route takes gets: 405 with `Allow` when the path exists for other methods, the
 * portal's index for a browser navigating the SPA, and a problem+json 404 for everything else,
 * in particular anything that is clearly an API call. The API serves no browsers: there is no
 * CORS, and a preflight (`OPTIONS`) is refused with a problem saying so.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../kit/errors.ts';
import type { App } from './app-type.ts';
import { isSpaRoute, sendSpaIndex } from './portal-static.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The longest path parameter the router takes (routerOptions.maxParamLength). */
export const MAX_PARAM_LENGTH = 500;

/** The methods routes answer on this path; the static catch-all (`/*`) does not count. */
function allowedMethods(app: App, path: string): string[] {
  // The router refuses a longer segment for one method and half-matches it for another: no such path.
  if (path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH)) return [];
  return METHODS.filter((method) => {
    const route = app.findRoute({ method, url: path });
    return route !== null && !('*' in (route.params as Record<string, string>));
  });
}

/** An Authorization header or a JSON-only Accept: a program, not a browser navigating the portal. */
function looksLikeApiCall(request: FastifyRequest): boolean {
  if (request.headers.authorization !== undefined) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function refusal(request: FastifyRequest, path: string, allowed: string[]): ApiError | null {
  if (request.method === 'OPTIONS' && allowed.length > 0) {
    return new ApiError('method_not_allowed', 'The FARO API does not answer cross-origin (CORS) requests: API keys are server-side secrets, so call it from your server, not from a browser.', {
      allow: allowed,
    });
  }
  // A path its own method would take, had the router not refused it (a parameter too long): no such resource.
  if (allowed.length === 0 || allowed.includes(request.method)) return null;
  return new ApiError('method_not_allowed', `${request.method} is not allowed on ${path}; this path answers ${allowed.join(', ')}.`, { allow: allowed });
}

export function handleUnrouted(app: App) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const path = request.url.split('?')[0] ?? '';
    const error =
      refusal(request, path, allowedMethods(app, path)) ??
      (!looksLikeApiCall(request) && isSpaRoute(request) && sendSpaIndex(reply) ? null : routeNotFound(request, path));
    // The error handler renders it, like every other problem.
    if (error) void reply.send(error);
  };
}

export function routeNotFound(request: FastifyRequest, path = request.url.split('?')[0] ?? ''): ApiError {
  return new ApiError('route_not_found', `${request.method} ${path} is not an endpoint of this API.`);
}
