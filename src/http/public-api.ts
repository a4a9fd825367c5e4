import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-type.ts';
import { ApiError } from '../kit/errors.ts';
import { NoQuery } from './public-schemas.ts';
import { loadPortalSession, SESSION_COOKIE } from './portal-auth.ts';
import { agencyHourlyLimit, integrationsTierRefusal } from '../domains/agencies/entitlements.ts';
import { insufficientScope, SCOPES, type PublicAuth, type Scope } from '../domains/api/auth-context.ts';
import { API_KEY_LENGTH, hashApiKey, isWellFormedApiKey } from '../domains/api/key-format.ts';
import type { KeyRecord } from '../domains/api/key-auth.ts';
import { recordApiRequest } from '../domains/usage/routes.ts';
import { MODE_HEADER, modeOf, requestedMode } from '../domains/testing/mode.ts';
import { crossesQuotaAlert } from '../domains/alerts/service.ts';
import {
  API_RATE_WINDOW_SECONDS,
  effectiveKeyLimit,
  limiterKeyForApiKey,
  limiterKeyForUnknownKeys,
  limiterKeyForUser,
  rateLimitHeaders,
  UNKNOWN_KEY_WINDOW_SECONDS,
  UNKNOWN_KEYS_PER_ADDRESS,
} from '../domains/api/rate-limit-policy.ts';

/** A route plugin of the public API; its paths are relative to /api/v1 (e.g. `/locations`). */
export type PublicRoutes = (app: App) => Promise<void>;

export interface PublicApiOptions {
  routes: PublicRoutes[];
}

const READ_SCOPES: readonly Scope[] = SCOPES.filter((scope) => scope.endsWith(':read'));

interface Caller {
  auth: PublicAuth;
  limiterKey: string;
  limit: number;
}

function unauthorized(code: 'missing_credentials' | 'malformed_api_key' | 'unknown_api_key' | 'revoked_api_key' | 'expired_api_key' | 'invalid_session', detail: string) {
  return new ApiError(code, detail, { bearerChallenge: code === 'missing_credentials' ? {} : { error: 'invalid_token' } });
}

/**
 * The /api/v1 context: every route registered through `routes` runs behind these checks, in
 * order, before its body is even parsed: (a) who is calling (API key or portal session),
 * (b) the agency's plan, (c) the route's scope (`config.scope`), (d) the caller's rate limit.
 */
export async function publicApi(app: App, options: PublicApiOptions): Promise<void> {
  const { services, limiter, clock } = app.ctx;
  const keyAuth = services.apiKeyAuth;
  // Cross-instance revocation messages must be flowing before the first request is served.
  await keyAuth.ready;
  app.decorateRequest('auth', null as unknown as PublicAuth);

  /**
   * The guessing throttle. A lookup of a key this instance has not found before is reserved
   * against the address's budget before it is made (count first, then decide), so a burst cannot
   * slip past it; keys already found here bypass it, so a valid key is never refused by it.
   */
  async function reserveLookup(address: string, hash: string): Promise<void> {
    const reservation = await limiter.consume(limiterKeyForUnknownKeys(address), UNKNOWN_KEYS_PER_ADDRESS, UNKNOWN_KEY_WINDOW_SECONDS);
    if (reservation.allowed) return;
    // Over budget: only a key another instance found lately still gets its lookup.
    if (await keyAuth.isKnownElsewhere(hash)) return;
    const retryAfter = Math.max(1, reservation.retryAfterSeconds ?? reservation.resetSeconds);
    throw new ApiError('auth_throttled', `This address sent ${UNKNOWN_KEYS_PER_ADDRESS} unrecognised API keys in ${UNKNOWN_KEY_WINDOW_SECONDS / 60} minutes; unrecognised keys from it are refused for ${retryAfter} s.`, {
      retryAfterSeconds: retryAfter,
      extensions: { retry_after_seconds: retryAfter },
    });
  }

  /**
   * The caller behind an API key. A key this instance holds is answered without a promise: its
   * hash is its identity, so a cached hash means a key already found (hence well formed) and the
   * format check, which only saves database lookups, runs on cache misses alone.
   */
  function authenticateKey(header: string, address: string): Caller | Promise<Caller> {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) throw unauthorized('missing_credentials', 'Send the API key as `Authorization: Bearer faro_live_…`.');
    const token = match[1]!;
    const hash = token.length === API_KEY_LENGTH ? hashApiKey(token) : undefined;
    const cached = hash === undefined ? undefined : keyAuth.cached(hash);
    if (cached) return admitKey(cached);
    // Format and checksum first: a mistyped or invented key never costs a database query.
    if (hash === undefined || !isWellFormedApiKey(token)) {
      throw unauthorized('malformed_api_key', 'The bearer token is not a FARO API key (faro_live_ or faro_test_ followed by 38 letters and digits with a valid checksum); check for a copy-paste mistake.');
    }
    return keyAuth.lookup(hash, keyAuth.isKnown(hash) ? undefined : () => reserveLookup(address, hash)).then((key) => {
      if (!key) throw unauthorized('unknown_api_key', 'No API key matches this one. Generate a key in Settings → API.');
      return admitKey(key);
    });
  }

  // A cached key record (replaced when reloaded, at least every second) always makes the same
  // caller: made once per record, frozen since every request of the key shares it.
  const callers = new WeakMap<KeyRecord, Caller>();

  function admitKey(key: KeyRecord): Caller {
    if (key.revokedAtMs !== null) throw unauthorized('revoked_api_key', 'This API key has been revoked. Use another key or generate a new one.');
    if (key.expiresAtMs !== null && key.expiresAtMs <= clock.now().getTime()) {
      throw unauthorized('expired_api_key', `This API key expired at ${new Date(key.expiresAtMs).toISOString()}.`);
    }
    keyAuth.touch(key.id);
    let caller = callers.get(key);
    if (!caller) {
      caller = Object.freeze({
        auth: Object.freeze({ agencyId: key.agencyId, tier: key.tier, via: 'api_key', keyId: key.id, userId: null, role: null, scopes: key.scopes, livemode: key.livemode } as const),
        limiterKey: limiterKeyForApiKey(key.id),
        limit: effectiveKeyLimit(key.rateLimit, { tier: key.tier, api_rate_limit: key.agencyRateLimit }),
      });
      callers.set(key, caller);
    }
    return caller;
  }

  async function authenticateSession(request: FastifyRequest): Promise<Caller> {
    const session = await loadPortalSession(request, services.sessions);
    if (!session) {
      if (request.cookies[SESSION_COOKIE]) throw unauthorized('invalid_session', 'The portal session has expired; log in again.');
      throw unauthorized('missing_credentials', 'Send an API key as `Authorization: Bearer faro_live_…`.');
    }
    const { user, agency } = session;
    // The portal's test-mode switch: the same user, in the agency's sandbox (made on first use).
    const livemode = requestedMode(request.headers[MODE_HEADER]) === 'live';
    const agencyId = livemode ? agency.id : (await services.sandboxes.ensure(agency.id)).id;
    return {
      auth: {
        agencyId,
        tier: agency.tier,
        via: 'session',
        keyId: null,
        userId: user.id,
        role: user.role,
        scopes: user.role === 'member' ? READ_SCOPES : SCOPES,
        livemode,
      },
      limiterKey: limiterKeyForUser(user.id),
      limit: agencyHourlyLimit(agency),
    };
  }

  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const caller = await (header !== undefined ? authenticateKey(header, request.ip) : authenticateSession(request));
    request.auth = caller.auth;
    void reply.header(MODE_HEADER, modeOf(caller.auth.livemode));
    const scope = request.routeOptions.config.scope;
    const refusal = integrationsTierRefusal(caller.auth.tier, 'The FARO API') ?? (scope && !caller.auth.scopes.includes(scope) ? insufficientScope(caller.auth, [scope]) : null);
    if (refusal) {
      // A refused request did no work, so it is not counted; the headers still tell where the caller stands.
      const usage = await limiter.peek(caller.limiterKey, caller.limit, API_RATE_WINDOW_SECONDS);
      void reply.headers(rateLimitHeaders(usage, clock.now().getTime()));
      throw refusal;
    }
    const decision = await limiter.consume(caller.limiterKey, caller.limit, API_RATE_WINDOW_SECONDS);
    app.ctx.metrics?.rateLimitDecision(decision.allowed);
    void reply.headers(rateLimitHeaders(decision, clock.now().getTime()));
    // Not awaited: the alert is written beside the request, never in its way.
    if (caller.auth.keyId !== null && crossesQuotaAlert(decision)) void services.alerts.quotaCrossed(caller.auth.agencyId, caller.auth.keyId, decision);
    if (!decision.allowed) {
      const retryAfter = decision.retryAfterSeconds ?? 1;
      throw new ApiError('rate_limited', `This ${caller.auth.via === 'api_key' ? 'API key' : 'user'} may make ${caller.limit} requests per rolling hour; retry in ${retryAfter} s.`, {
        retryAfterSeconds: retryAfter,
        extensions: { retry_after_seconds: retryAfter },
      });
    }
  }

  app.addHook('onRequest', guard);
  if (app.ctx.config.usage.recording) app.addHook('onResponse', recordApiRequest(services.usageRecorder));
  // One rule for query strings: a route that names none takes none, so `?anything` is a 400 on
  // every operation, writes included, never silently ignored.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, querystring: route.schema?.querystring ?? NoQuery };
  });

  for (const routes of options.routes) await app.register(routes);
}
