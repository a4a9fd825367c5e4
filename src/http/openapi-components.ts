import { PROBLEMS, problemType, type ProblemCode } from '../kit/errors.ts';
import { SCOPE_DESCRIPTIONS } from '../domains/api/auth-context.ts';

/*
 * The hand-written parts of the OpenAPI document: the security scheme, the headers every public
 * response carries, and the error responses with examples. Everything else comes from the routes.
 */

export const API_DESCRIPTION = `The FARO Integrations API gives agencies on the Scale and Enterprise plans programmatic
access to their clients' locations, inbox conversations and messages, reviews and leads, and
delivers events to their systems by webhook.

## Authentication
Create an API key in the portal (Settings → API) and send it as a bearer token:
\`Authorization: Bearer faro_live_…\`. Each key carries scopes; an operation lists the scope it needs.

## Lists
Lists are newest first and paginated with an opaque cursor: pass a page's \`next_cursor\` as
\`cursor\` to get the next one; \`has_more\` is false on the last page. \`limit\` is 1–100 (default 25).

## Errors
Errors are RFC 9457 \`application/problem+json\` documents with a stable \`code\` and \`type\`, and
the \`request_id\` (also in the \`Request-Id\` header) to quote to support. Ids of another agency
answer 404 exactly as ids that do not exist. A validation error lists every invalid field in \`errors\`,
one message per field.

## Request ids and tracing
Send your own request id as \`Request-Id\` (or \`X-Request-Id\`), 1–200 letters, digits and \`-._:/+=@~\`,
and FARO uses it for the request: in its logs, the \`Request-Id\` response header, problem bodies and
audit entries. Otherwise, or when the value has other characters, FARO makes one (\`req_\` + 24 hex
digits). A valid W3C \`traceparent\` header puts its trace id on FARO's log lines of the request.

## Rate limits
Each key has an hourly quota (Scale: 1,000 requests per rolling hour). Every response reports the
state in \`RateLimit-Policy\`, \`RateLimit\` and the \`X-RateLimit-*\` headers; a 429 adds \`Retry-After\`.

## Retries
\`POST /api/v1/leads\` accepts an \`Idempotency-Key\` header (a unique value, e.g. a UUID, kept 24 hours
per agency). As draft-ietf-httpapi-idempotency-key-header defines it, the value is a Structured Field
string: \`Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"\`. The unquoted form most clients send
(\`Idempotency-Key: 8e03978e-…\`) is accepted as the same key. Retrying with the same key and body
replays the first response with \`Idempotent-Replayed: true\`; the same key with another body is a 422,
and a retry while the first request still runs is a 409. Failed requests do not use up their key.

## Test mode
Every agency has a test mode: its own sandbox of data, webhook subscriptions, deliveries, events and
audit entries, seeded with sample data. A \`faro_test_…\` key works only there, and a live key never
reaches it. Every response says its mode in the \`Faro-Mode\` header, and every event and webhook
body in \`livemode\`. \`POST /api/v1/test/events\` (test keys only) makes an event happen for real in
the sandbox, so an integration can be tried end to end without touching live data.

## Webhooks
Events are POSTed to your endpoints signed per [Standard Webhooks](https://www.standardwebhooks.com);
the \`webhooks\` section describes each event's body, and the [webhook guide](/docs/webhooks) explains receiving them.`;

const scopeList = Object.entries(SCOPE_DESCRIPTIONS).map(([scope, words]) => `- \`${scope}\`: ${words}`).join('\n');

/**
 * The scopes are the key's, not OAuth's: listed in the description and in `x-faro-scopes`; each
 * operation names the one it needs in `x-faro-scope` (see publicOnly in openapi.ts).
 */
export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'faro_live_<32 base62 chars><6-char checksum>',
    description:
      'An API key created in the portal, sent as `Authorization: Bearer <key>`. Live keys look like ' +
      '`faro_live_` + 32 random base62 characters + a 6-character CRC32 checksum of them, so a mistyped ' +
      'key is refused at once and secret scanners can recognise leaked ones. Test-mode keys look like ' +
      '`faro_test_` + the same 38 characters, their checksum taken over `faro_test_` and the random part; they ' +
      'reach only the agency’s test-mode sandbox, and live keys never reach it. The key is shown only once ' +
      'when created; FARO stores only its SHA-256.\n\n' +
      'Each key carries scopes; each operation names the one it needs (its `x-faro-scope`), and a key without it ' +
      `gets 403 \`insufficient_scope\`. The scopes:\n\n${scopeList}`,
    'x-faro-scopes': SCOPE_DESCRIPTIONS,
  },
};

const integerHeader = (description: string, example: number) => ({ description, schema: { type: 'integer', minimum: 0 }, example });

export const HEADERS = {
  'Request-Id': {
    description:
      'Identifies this request in FARO’s logs; quote it to support. The `Request-Id` (else `X-Request-Id`) the request sent, ' +
      'when that is 1–200 letters, digits and `-._:/+=@~`; otherwise one FARO made, `req_` + 24 hex digits.',
    schema: { type: 'string' },
    example: 'req_5f0c2b7d9e1a4c3b8d6e0f12',
  },
  RateLimit: {
    description:
      'Per draft-ietf-httpapi-ratelimit-headers-10: the quota the key has left in the rolling hour (`r`) and the seconds until more ' +
      'quota is available (`t`), that is until its oldest counted requests leave the hour (one hour after them). With nothing ' +
      'counted, `t` is the whole window (3600). `t` is always 1–3600, so `r / t` is a pace a client can keep; a 429’s ' +
      '`Retry-After` equals `t`.',
    schema: { type: 'string' },
    example: '"hourly";r=987;t=2712',
  },
  'RateLimit-Policy': {
    description: 'The key’s quota policy: `q` requests per `w` seconds.',
    schema: { type: 'string' },
    example: '"hourly";q=1000;w=3600',
  },
  'X-RateLimit-Limit': integerHeader('Requests the key may make per rolling hour.', 1000),
  'X-RateLimit-Remaining': integerHeader('Requests left in the current rolling hour.', 987),
  'X-RateLimit-Reset': integerHeader('Unix time (seconds, rounded up) when more requests become available: now plus `t` of `RateLimit`.', 1767225600),
  'Retry-After': integerHeader('Seconds to wait before retrying.', 42),
  'WWW-Authenticate': {
    description: 'The bearer challenge (RFC 6750), with `error="invalid_token"` when a key was sent but refused.',
    schema: { type: 'string' },
    example: 'Bearer realm="FARO API", error="invalid_token"',
  },
  'Faro-Mode': {
    description:
      'The mode this request ran in: `live`, or `test` for a `faro_test_` key (the agency’s sandbox: its own data, webhooks, deliveries and events). ' +
      'Test mode never reads or changes live data.',
    schema: { type: 'string', enum: ['live', 'test'] },
    example: 'live',
  },
  'Idempotent-Replayed': {
    description: 'Present, with value `true`, when this response is the stored response of an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
};

/** Headers on every response of a public operation; a 401 has no key, hence no rate-limit state. */
export const RATE_LIMIT_HEADER_NAMES = ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;

type HeaderName = keyof typeof HEADERS;

/**
 * A header component is `required` when every response that refers to it sends it: Request-Id
 * (set on every response before routing), the rate-limit state (set once the key is recognised,
 * before anything can refuse the request) and the challenge of a 401 (every 401 of /api/v1 has
 * one). A response that sends one of them only sometimes declares its own copy (`sometimes`).
 */
const ALWAYS_SENT: readonly HeaderName[] = ['Request-Id', ...RATE_LIMIT_HEADER_NAMES, 'WWW-Authenticate', 'Faro-Mode'];

export const HEADER_COMPONENTS = Object.fromEntries(
  Object.entries(HEADERS).map(([name, header]) => [name, ALWAYS_SENT.includes(name as HeaderName) ? { ...header, required: true } : header]),
);

export const headerRefs = (names: readonly string[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** A header a response always sends although its component is optional, or the reverse. */
const always = (name: HeaderName) => ({ [name]: { ...HEADERS[name], required: true } });
const sometimes = (name: HeaderName, when: string) => ({ [name]: { ...HEADERS[name], description: `${HEADERS[name].description} ${when}` } });

function problem(code: ProblemCode, detail: string, instance: string, extra: Record<string, unknown> = {}) {
  return {
    type: problemType(code),
    title: PROBLEMS[code].title,
    status: PROBLEMS[code].status,
    detail,
    instance,
    code,
    request_id: 'req_5f0c2b7d9e1a4c3b8d6e0f12',
    ...extra,
  };
}

type ExampleMap = Record<string, { summary: string; value: ReturnType<typeof problem> }>;

/** `headers`: names of components always sent with it, or header objects of its own. */
function errorResponse(description: string, examples: ExampleMap, headers: readonly (string | Record<string, object>)[]) {
  const own = (entry: string | Record<string, object>) => (typeof entry === 'string' ? headerRefs([entry]) : entry);
  return {
    description,
    headers: Object.assign({}, ...['Request-Id', ...headers].map(own)) as Record<string, object>,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, examples } },
  };
}

const limited = [...RATE_LIMIT_HEADER_NAMES];

/** Error responses by component name; `errorResponsesFor` picks the ones an operation can give. */
export const ERROR_RESPONSES = {
  BadRequest: errorResponse(
    'The request is not valid: a parameter or body field (see `errors`), the JSON itself, or the cursor.',
    {
      validation_failed: {
        summary: 'A field is not valid',
        value: problem('validation_failed', 'One or more fields are not valid; see errors.', '/api/v1/reviews', {
          errors: [{ path: 'query.rating', message: 'must be <= 5' }],
        }),
      },
      invalid_cursor: {
        summary: 'The cursor is not one this list returned',
        value: problem('invalid_cursor', 'The cursor is not one this list returned; start again without a cursor.', '/api/v1/reviews', {
          errors: [{ path: 'query.cursor', message: 'is not a valid cursor' }],
        }),
      },
      malformed_json: { summary: 'The body is not JSON', value: problem('malformed_json', 'The request body could not be parsed as JSON.', '/api/v1/leads') },
    },
    limited,
  ),
  Unauthorized: errorResponse(
    'No valid API key: missing, malformed (checksum fails), unknown, revoked or expired.',
    {
      missing_credentials: { summary: 'No Authorization header', value: problem('missing_credentials', 'Send an API key as `Authorization: Bearer <key>`.', '/api/v1/reviews') },
      malformed_api_key: { summary: 'Not a FARO key', value: problem('malformed_api_key', 'The API key is not in the faro_live_… format or its checksum does not match.', '/api/v1/reviews') },
      unknown_api_key: { summary: 'No such key', value: problem('unknown_api_key', 'The API key is not recognised.', '/api/v1/reviews') },
      revoked_api_key: { summary: 'Revoked key', value: problem('revoked_api_key', 'The API key has been revoked.', '/api/v1/reviews') },
      expired_api_key: { summary: 'Expired key', value: problem('expired_api_key', 'The API key has expired.', '/api/v1/reviews') },
    },
    ['WWW-Authenticate'],
  ),
  Forbidden: errorResponse(
    'The key lacks the scope the operation needs (`required_scope` names it), the agency’s plan does not include the API (`required_tier`), ' +
      'or a live key called a test-mode-only endpoint (`test_mode_only`).',
    {
      insufficient_scope: {
        summary: 'Missing scope',
        value: problem('insufficient_scope', "This API key lacks the reviews:read scope; generate a key with that scope (rotating keeps a key's scopes).", '/api/v1/reviews', {
          required_scope: 'reviews:read',
        }),
      },
      tier_required: {
        summary: 'Plan too low',
        value: problem('tier_required', 'The FARO API needs the scale plan or higher; this agency is on growth.', '/api/v1/reviews', {
          required_tier: 'scale',
          current_tier: 'growth',
        }),
      },
      test_mode_only: {
        summary: 'Live key on a test-mode endpoint',
        value: problem('test_mode_only', 'POST /api/v1/test/events works with a faro_test_ key only; a live key never raises test events.', '/api/v1/test/events'),
      },
    },
    [
      ...limited,
      {
        'WWW-Authenticate': {
          description:
            'The bearer challenge of a key that lacks the scope (RFC 6750 §3.1): `error="insufficient_scope"` and the missing scopes in `scope`. Not sent for `tier_required` nor `test_mode_only`.',
          schema: { type: 'string' },
          example: 'Bearer realm="FARO API", error="insufficient_scope", scope="reviews:read"',
        },
      },
    ],
  ),
  NotFound: errorResponse(
    'No resource with that id exists for this agency (ids of other agencies and malformed ids included).',
    { not_found: { summary: 'Unknown id', value: problem('not_found', 'No review with that id exists.', '/api/v1/reviews/rev_01jd5m0d9d6v3fw8p3n4q7r2s1') } },
    limited,
  ),
  Conflict: errorResponse(
    'The request conflicts with the current state: a request with the same `Idempotency-Key` is still being processed (`idempotency_key_in_progress`; retry after `Retry-After` seconds), ' +
      'or the resource\'s state forbids it (`conflict`: a disabled subscription, the subscription limit); the detail says which. Nothing changed.',
    {
      idempotency_key_in_progress: {
        summary: 'First request still running',
        value: problem('idempotency_key_in_progress', 'The first request with this Idempotency-Key is still running; retry shortly.', '/api/v1/leads'),
      },
      conflict: {
        summary: 'Subscription disabled',
        value: problem('conflict', 'The subscription is disabled; enable it (PATCH enabled: true) before redelivering.', '/api/v1/webhooks/whsub_01jd5m0d9d6v3fw8p3n4q7r2s1/recover'),
      },
    },
    [...limited, 'Retry-After'],
  ),
  PayloadTooLarge: errorResponse(
    'The request body is larger than this endpoint accepts (128 KiB for leads, 64 KiB elsewhere); the detail names the limit.',
    { payload_too_large: { summary: 'Body too large', value: problem('payload_too_large', 'Request bodies on this endpoint are limited to 131072 bytes.', '/api/v1/leads') } },
    limited,
  ),
  UnsupportedMediaType: errorResponse(
    'The request body is not `application/json`.',
    { unsupported_media_type: { summary: 'Wrong content type', value: problem('unsupported_media_type', 'Send request bodies as application/json.', '/api/v1/leads') } },
    limited,
  ),
  UnprocessableEntity: errorResponse(
    'The `Idempotency-Key` was already used with a different request.',
    {
      idempotency_key_reused: {
        summary: 'Key reused with another body',
        value: problem('idempotency_key_reused', 'This Idempotency-Key was already used with a different request (method, path or body).', '/api/v1/leads'),
      },
    },
    limited,
  ),
  TooManyRequests: errorResponse(
    'The key used up its hourly quota, or the client address sent 100 unrecognised keys within 15 minutes; retry after `Retry-After` seconds.',
    {
      rate_limited: {
        summary: 'Quota used up',
        value: problem('rate_limited', 'This API key may make 1000 requests per rolling hour; retry in 42 s.', '/api/v1/reviews', { retry_after_seconds: 42 }),
      },
      auth_throttled: {
        summary: 'Too many unknown keys from this address',
        value: problem('auth_throttled', 'This address sent 100 unrecognised API keys in 15 minutes; API keys from it are refused for 840 s.', '/api/v1/reviews', {
          retry_after_seconds: 840,
        }),
      },
    },
    [
      always('Retry-After'),
      // No key was recognised before `auth_throttled`, so there is no quota to report.
      ...RATE_LIMIT_HEADER_NAMES.map((name) => sometimes(name, 'Not sent with `auth_throttled`.')),
    ],
  ),
  ServerError: errorResponse(
    'FARO failed or is not ready; the request can be retried. Details are never echoed: quote the `request_id`.',
    {
      internal_error: { summary: 'Internal error', value: problem('internal_error', 'Something went wrong on our side; the request id identifies it.', '/api/v1/reviews') },
      database_unavailable: {
        summary: 'Database restarting or failing over (503, with Retry-After)',
        value: problem('database_unavailable', 'The database is unreachable right now (a restart or failover); retry shortly.', '/api/v1/reviews'),
      },
    },
    ['Retry-After'],
  ),
};

export type ErrorResponseName = keyof typeof ERROR_RESPONSES;

/** Which errors an operation can answer, from its shape. */
export function errorResponsesFor(operation: { path: string; hasBody: boolean; idempotent: boolean }): Record<string, { $ref: string }> {
  const picks: [string, ErrorResponseName][] = [
    ['400', 'BadRequest'],
    ['401', 'Unauthorized'],
    ['403', 'Forbidden'],
  ];
  if (operation.path.includes('{')) picks.push(['404', 'NotFound']);
  if (operation.idempotent) picks.push(['409', 'Conflict']);
  if (operation.hasBody) picks.push(['413', 'PayloadTooLarge'], ['415', 'UnsupportedMediaType']);
  if (operation.idempotent) picks.push(['422', 'UnprocessableEntity']);
  picks.push(['429', 'TooManyRequests'], ['5XX', 'ServerError']);
  return Object.fromEntries(picks.map(([status, name]) => [status, { $ref: `#/components/responses/${name}` }]));
}

export const TAG_DESCRIPTIONS: Record<string, string> = {
  Locations: 'Business locations (listings) the agency manages.',
  Conversations: 'Threads of the unified inbox, one contact on one channel.',
  Messages: 'Messages inside conversations.',
  Reviews: 'Reviews of locations on Google, Facebook and Yelp.',
  Leads: 'Prospective customers, tracked through to conversion. The one resource clients can write.',
  Webhooks: 'Subscriptions that receive events by signed HTTP POST, and their deliveries.',
  Events: 'The event log, to catch up on missed webhooks.',
  'Test mode': 'Raise real events in the agency’s test-mode sandbox, with a `faro_test_` key.',
  'Audit log': 'Who changed API keys and webhook subscriptions, revealed or rotated secrets, and redelivered webhooks: the actor, the request and the target of each change.',
  'Usage and request log': 'Requests per API key per hour by outcome, and the log of recent API requests: what your integrations sent and what FARO answered.',
  'Webhook events': 'The requests FARO sends to your webhook endpoints, one per event type.',
};
