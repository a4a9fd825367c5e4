import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from './metrics.ts';

/**
 * Counts and times every response by its route template (`/api/v1/leads/:id`, never the path
 * asked for). Registered by src/http/app.ts only when metrics are on: off, a request pays nothing.
 */
export function recordHttpMetrics(app: FastifyInstance, metrics: ServiceMetrics | undefined): void {
  if (!metrics) return;
  // A callback hook, not an async one: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    // Unrouted requests (the not-found handler) have no route template.
    const route = request.is404 ? undefined : request.routeOptions.url;
    metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
