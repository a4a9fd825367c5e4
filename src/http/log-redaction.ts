/**
 * Keeps credentials that clients put in URLs out of the request log. Fastify logs each request's
 * `req` through the logger's `req` serializer; ours is Fastify's own with the URL redacted:
 * values of query parameters named like a credential, and anything shaped like a FARO API key or
 * webhook secret wherever it is in the URL, become `[redacted]`.
 */

export const REDACTED = '[redacted]';

/** Parameter names, lower-cased without `-`, `_` or `.`, that carry credentials. */
const CREDENTIAL_NAME = /token|secret|passw|pwd|apikey|auth|signature|credential|session|cookie|^sig$|^pass$|key$/;
/** FARO API keys (`faro_live_…`, `faro_test_…`) and webhook secrets (`whsec_…`). */
const CREDENTIAL_VALUE = /faro_(?:live|test)_[0-9A-Za-z]*|whsec_[0-9A-Za-z+/=%_-]*/g;
const HAS_CREDENTIAL_VALUE = new RegExp(CREDENTIAL_VALUE.source);

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function looksLikeCredential(text: string): boolean {
  return HAS_CREDENTIAL_VALUE.test(decode(text));
}

function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(decode(name).toLowerCase().replace(/[-_.]/g, ''));
}

function redactParameter(part: string): string {
  const eq = part.indexOf('=');
  const name = eq === -1 ? part : part.slice(0, eq);
  if (looksLikeCredential(name)) return REDACTED;
  if (eq === -1) return part;
  const value = part.slice(eq + 1);
  return value !== '' && (isCredentialName(name) || looksLikeCredential(value)) ? `${name}=${REDACTED}` : part;
}

/** A segment whose decoded text holds a credential the raw pattern missed (percent-encoded) goes whole. */
function redactPathSegment(segment: string): string {
  return looksLikeCredential(segment) ? REDACTED : segment;
}

/** The URL (path and query, as a request line carries it) with credentials replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  // Every request is logged: the usual URL, with nothing encoded and nothing shaped like a
  // credential, can only leak through a parameter's name, so only names are checked then.
  // (The substring checks stand in for HAS_CREDENTIAL_VALUE, which cannot match without one of
  // them, at a fraction of a regular expression's cost on the hot path.)
  if (!url.includes('%') && !url.includes('+') && !url.includes('faro_') && !url.includes('whsec_')) return redactParameterNames(url);
  const query = url.indexOf('?');
  const path = (query === -1 ? url : url.slice(0, query)).replace(CREDENTIAL_VALUE, REDACTED);
  const redactedPath = path.split('/').map(redactPathSegment).join('/');
  if (query === -1) return redactedPath;
  return `${redactedPath}?${url.slice(query + 1).split('&').map(redactParameter).join('&')}`;
}

function redactParameterNames(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const parts = url.slice(query + 1).split('&');
  if (!parts.some((part) => part.includes('=') && isCredentialName(part.slice(0, part.indexOf('='))))) return url;
  return `${url.slice(0, query)}?${parts.map(redactParameter).join('&')}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

/** Fastify's default `req` serializer, with the URL redacted. */
export function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  };
}

/** For `pino({ serializers })`: a Fastify app given this logger (`loggerInstance`) logs with them. */
export const logSerializers = { req: serializeRequest };
