import { channel } from 'node:diagnostics_channel';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import packageJson from '../../package.json' with { type: 'json' };

/*
 * The portal's own endpoints (/portal/api/*: cookie session, CSRF) are `hide: true` in the public
 * reference, rightly: integrators cannot call them. The portal still needs their shapes, so this
 * describes them in a second, internal document built from the same route schemas. It is never
 * served or published; `npm run openapi` only turns it into the portal's TypeScript types.
 */

export const PORTAL_PREFIX = '/portal/api/';

type Json = Record<string, unknown>;

export interface ObservedRoute {
  method: string;
  url: string;
  schema: Json;
}

/**
 * Record the portal routes of the next Fastify instance created (through Fastify's documented
 * `fastify.initialization` diagnostics channel, so the app is built exactly as it runs).
 */
export function observePortalRoutes(): { routes: ObservedRoute[]; stop: () => void } {
  const routes: ObservedRoute[] = [];
  const initialization = channel('fastify.initialization');
  let observed = false;
  const onInstance = (message: unknown) => {
    if (observed) return;
    observed = true;
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
      if (!route.url.startsWith(PORTAL_PREFIX) || !route.schema) return;
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') routes.push({ method, url: route.url, schema: route.schema as Json });
      }
    });
  };
  initialization.subscribe(onInstance);
  return { routes, stop: () => initialization.unsubscribe(onInstance) };
}

/** Errors are the public reference's `Problem` (components.schemas.Problem there): not repeated per route. */
function successResponses(responses: unknown): Json | undefined {
  if (!responses) return undefined;
  return Object.fromEntries(Object.entries(responses as Json).filter(([status]) => /^2/.test(status)));
}

/** The observed routes as an OpenAPI document, converted by the same @fastify/swagger as the public one. */
export async function portalOpenApiDocument(routes: ObservedRoute[]): Promise<Json> {
  if (routes.length === 0) throw new Error(`No ${PORTAL_PREFIX} route was observed while the app was built.`);
  const scratch = Fastify();
  // Nothing is ever served: the schemas are only read, not compiled.
  scratch.setValidatorCompiler(() => () => true);
  scratch.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await scratch.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FARO portal API (internal)',
        version: packageJson.version,
        description: 'The portal’s session and API-key endpoints. Not published: only the portal calls them.',
      },
    },
    convertConstToEnum: false,
    transform: ({ schema, url }) => ({ schema: { ...schema, hide: false, response: successResponses(schema.response) }, url }),
  });
  for (const route of routes) {
    scratch.route({ method: route.method, url: route.url, schema: route.schema, handler: async () => null });
  }
  try {
    await scratch.ready();
    return structuredClone(scratch.swagger() as unknown as Json);
  } finally {
    await scratch.close();
  }
}
