import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-type.ts';

export const PORTAL_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../portal/dist');

const API_PREFIXES = ['/api/', '/portal/api/', '/admin/', '/docs'];

/**
 * Serve the built portal SPA. Client-side routes (/settings/api, /login…) get index.html; paths
 * under the API prefixes never do, so API clients always get problem+json 404s.
 */
export async function portalStatic(app: App): Promise<void> {
  if (!fs.existsSync(path.join(PORTAL_DIST, 'index.html'))) {
    app.log.warn({ dist: PORTAL_DIST }, 'portal build missing: run `npm run build:portal` (npm start does it for you)');
    return;
  }
  await app.register(fastifyStatic, { root: PORTAL_DIST, prefix: '/', wildcard: true, index: ['index.html'] });
}

export function isSpaRoute(request: FastifyRequest): boolean {
  const url = request.url.split('?')[0] ?? '';
  return (request.method === 'GET' || request.method === 'HEAD') && !API_PREFIXES.some((prefix) => url.startsWith(prefix)) && !path.extname(url);
}

export function sendSpaIndex(reply: FastifyReply): FastifyReply | undefined {
  const index = path.join(PORTAL_DIST, 'index.html');
  if (!fs.existsSync(index)) return undefined;
  return reply.code(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(fs.createReadStream(index));
}
