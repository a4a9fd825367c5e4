import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { stringify } from 'yaml';
import type { FastifyInstance } from 'fastify';
import packageJson from '../../package.json' with { type: 'json' };
import type { App } from './app-type.ts';
import { API_DESCRIPTION, SECURITY_SCHEMES } from './openapi-components.ts';
import { finishDocument } from './openapi-document.ts';
import { EVENT_CATALOG } from '../domains/events/catalog.ts';
import { docsContentSecurityPolicy } from './security-headers.ts';

/*
 * The public API reference: @fastify/swagger collects every route's schema; `publicOnly` keeps
 * the /api/v1 operations (portal and admin routes are `hide: true`) and marks their scope;
 * `finishDocument` adds what the routes cannot say. Served at /api/v1/openapi.json without
 * authentication, rendered at /docs (Swagger UI, assets served by this process, no CDN), and
 * written to api/openapi.yaml by `npm run openapi`.
 */

export const PUBLIC_PREFIX = '/api/v1/';
export const OPENAPI_JSON_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/docs';

type Json = Record<string, unknown>;

/** Not open source: an SPDX `LicenseRef-` names the proprietary terms, as OAS 3.1 allows. */
const LICENSE = { name: 'Proprietary: use under the FARO API terms of service', identifier: 'LicenseRef-FARO-Proprietary' };

const PRODUCTION = { url: 'https://api.faro.app', description: 'FARO production' };
const SAME_ORIGIN = { url: '/', description: 'The FARO instance serving this document' };
/** The committed reference names production first; the instance serving it, relatively. */
const SERVERS = [PRODUCTION, SAME_ORIGIN];

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="220" height="40" viewBox="0 0 220 40">' +
  '<text x="0" y="30" font-family="sans-serif" font-size="28" font-weight="700" fill="#ffffff">FARO API</text></svg>';

interface TransformInput {
  schema?: Json | undefined;
  url: string;
  route: { config?: { scope?: string } | undefined };
}

/**
 * An operation needs a bearer API key, and its scope is `x-faro-scope` (and said in words). OAS
 * 3.1 would allow the scope as a role name in the security requirement of an http scheme, but
 * Spectral's oas3-operation-security-defined still takes any name there for an undeclared OAuth
 * scope (stoplightio/spectral#2643), and declaring the keys as OAuth would misdescribe them.
 */
function publicOnly({ schema, url, route }: TransformInput): { schema: Json; url: string } {
  if (!schema || schema.hide || !url.startsWith(PUBLIC_PREFIX)) return { schema: { ...schema, hide: true }, url };
  const scope = route.config?.scope;
  return {
    schema: {
      ...schema,
      security: [{ bearerAuth: [] }],
      'x-faro-public': true,
      ...(scope ? { 'x-faro-scope': scope } : {}),
    },
    url,
  };
}

/** Must run before any route is registered: @fastify/swagger learns routes from `onRoute`. */
export async function registerOpenApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FARO Integrations API',
        version: packageJson.version,
        description: API_DESCRIPTION,
        contact: { name: 'FARO support', email: 'support@faro.app' },
        license: LICENSE,
      },
      servers: SERVERS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    convertConstToEnum: false,
    transform: publicOnly as never,
  });
}

const documents = new WeakMap<object, Json>();

/** The published document, computed once per app (after it is ready: routes are then final). */
export function openApiDocument(app: FastifyInstance): Json {
  const generate = app.swagger;
  let document = documents.get(generate);
  if (!document) {
    document = finishDocument(app.swagger() as unknown as Json, EVENT_CATALOG);
    documents.set(generate, document);
  }
  return document;
}

const served = new WeakMap<object, Json>();

/**
 * The document as this instance serves it: the same, except that its own base URL
 * (PUBLIC_BASE_URL) is the first server, so "Try it out" in /docs calls this instance by default;
 * then production, and the document's own origin for an instance reached by another name.
 */
function servedDocument(app: App): Json {
  let document = served.get(app.swagger);
  if (!document) {
    const self = { url: app.ctx.config.publicBaseUrl, description: 'This FARO instance (PUBLIC_BASE_URL)' };
    document = { ...openApiDocument(app), servers: [self, PRODUCTION, SAME_ORIGIN] };
    served.set(app.swagger, document);
  }
  return document;
}

/** The YAML form committed as api/openapi.yaml: no anchors, no folding, so diffs stay readable. */
export function toYaml(document: Json): string {
  return stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Register OUTSIDE the authenticated /api/v1 context: the reference is public. */
export async function openApiRoutes(app: App): Promise<void> {
  app.get(OPENAPI_JSON_PATH, { schema: { hide: true } }, async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(servedDocument(app));
  });

  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    transformSpecification: () => servedDocument(app),
    transformSpecificationClone: false,
    uiConfig: { deepLinking: true, docExpansion: 'list', defaultModelsExpandDepth: 0, tryItOutEnabled: false },
    theme: { title: 'FARO API reference' },
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: DOCS_PATH, target: '_self' },
    // Set by the plugin on every /docs response, over the portal's policy set on every answer (security-headers.ts).
    staticCSP: docsContentSecurityPolicy(app.ctx.config.publicBaseUrl, [app.ctx.config.publicBaseUrl, PRODUCTION.url]),
  });
}
