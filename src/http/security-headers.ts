import { createHash } from 'node:crypto';
import helmet from '@fastify/helmet';
import type { App } from './app-type.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The response carries a secret (an API key, a signing secret, a CSRF token): never stored by any cache. */
    secret?: boolean;
  }
}

type Directives = Record<string, string[]>;

/**
 * What the portal (the Vite build in portal/dist) loads: its own module script and stylesheet,
 * and fetches to its own origin. No inline scripts or <style> elements (index.html has none), and
 * React's `style={{…}}` sets properties through the CSSOM, which CSP does not govern, so
 * `'unsafe-inline'` is needed nowhere. It is also the policy of every JSON answer.
 */
const PORTAL_DIRECTIVES: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The one inline style Swagger UI renders: the <style> inside its own topbar logo SVG (which our
 * initializer then swaps for the FARO logo). Allowed by its hash, so nothing else inline is.
 */
export const SWAGGER_LOGO_STYLE = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';
const sha256Source = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Swagger UI at /docs: its scripts and stylesheets come from /docs/static (no inline script); its
 * CSS and the FARO logo are data: images; "Try it out" fetches the spec's servers (this origin
 * and the absolute ones, e.g. https://api.faro.app).
 */
function docsDirectives(serverOrigins: string[]): Directives {
  return {
    ...PORTAL_DIRECTIVES,
    'style-src': ["'self'", sha256Source(SWAGGER_LOGO_STYLE)],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'", ...serverOrigins],
  };
}

/** On https only: it would send an http-only deployment's browsers to a port nobody answers. */
function withUpgrade(directives: Directives, https: boolean): Directives {
  return https ? { ...directives, 'upgrade-insecure-requests': [] } : directives;
}

export function serialize(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, values]) => [name, ...values].join(' '))
    .join('; ');
}

/** The CSP of /docs, for @fastify/swagger-ui's `staticCSP` (it sets it on every /docs response). */
export function docsContentSecurityPolicy(publicBaseUrl: string, serverUrls: string[]): string {
  const origins = serverUrls.filter((url) => /^https?:\/\//.test(url)).map((url) => new URL(url).origin);
  return serialize(withUpgrade(docsDirectives(origins), isHttpsPublished(publicBaseUrl)));
}

export const isHttpsPublished = (publicBaseUrl: string) => publicBaseUrl.startsWith('https:');

/**
 * Browser-facing headers on every response (helmet): CSP, no framing (frame-ancestors 'none' and
 * X-Frame-Options DENY), nosniff, Referrer-Policy, HSTS when published on https; and
 * `Cache-Control: no-store` on the routes flagged `config: { secret: true }`.
 */
export async function securityHeaders(app: App): Promise<void> {
  const https = isHttpsPublished(app.ctx.config.publicBaseUrl);
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: withUpgrade(PORTAL_DIRECTIVES, https) },
    xFrameOptions: { action: 'deny' },
    // same-origin: no URL of ours leaves for another site, yet same-origin POSTs keep a real
    // Origin header (no-referrer would turn it into "null" and defeat Origin-based CSRF checks).
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.config.secret) void reply.header('cache-control', 'no-store');
  });
}
