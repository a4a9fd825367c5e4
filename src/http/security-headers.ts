import { createHash } from 'node:crypto';
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
 * The browser-facing headers of every answer, built once: the portal's CSP, no framing
 * (frame-ancestors 'none' and X-Frame-Options DENY), nosniff, Referrer-Policy, HSTS when published
 * on https, and helmet's other defaults. Built by hand rather than by @fastify/helmet, which ran
 * its middleware chain on every request (13–21 µs of a 300 µs authenticated read in bench:api).
 */
export function browserHeaders(publicBaseUrl: string): Readonly<Record<string, string>> {
  const https = isHttpsPublished(publicBaseUrl);
  return Object.freeze({
    'content-security-policy': serialize(withUpgrade(PORTAL_DIRECTIVES, https)),
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    // same-origin: no URL of ours leaves for another site, yet same-origin POSTs keep a real
    // Origin header (no-referrer would turn it into "null" and defeat Origin-based CSRF checks).
    'referrer-policy': 'same-origin',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  });
}

/**
 * `Cache-Control: no-store` on the routes flagged `config: { secret: true }`, as a hook of those
 * routes alone (every other request skips it).
 */
export function secretAnswersUncached(app: App): void {
  app.addHook('onRoute', (route) => {
    if (!route.config?.secret) return;
    const noStore = (_request: unknown, reply: { header(name: string, value: string): unknown }, done: () => void) => {
      reply.header('cache-control', 'no-store');
      done();
    };
    route.onRequest = [...(route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]), noStore as never];
  });
}
