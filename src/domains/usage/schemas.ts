/** Shapes of the usage history (`GET /api/v1/usage`) and the request log (`GET /api/v1/request-logs`). */
import { Type, type Static } from 'typebox';
import { DateTime, Nullable } from '../../lib/schema.ts';
import { IdFilter, SinceFilter } from '../../http/public-schemas.ts';

/** The longest range one usage query may cover: the history is kept 30 days. */
export const MAX_USAGE_RANGE_DAYS = 31;
export const GRANULARITIES = ['hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const UsageQuery = Type.Object(
  {
    key_id: IdFilter('key', 'The API key (`key_…`) whose usage to return. A key of another agency, or of the other mode, answers 404.'),
    from: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Start of the range (RFC 3339), rounded down to its hour or UTC day. Default: 24 hours (`hour`) or 7 days (`day`) before `to`.',
        examples: ['2026-03-13T15:00:00Z'],
      }),
    ),
    to: Type.Optional(
      Type.String({
        format: 'date-time',
        description: `End of the range, exclusive (RFC 3339), rounded up to its hour or UTC day; later than \`from\`, and at most ${MAX_USAGE_RANGE_DAYS} days after it. Default: the end of the current hour or day.`,
        examples: ['2026-03-14T16:00:00Z'],
      }),
    ),
    granularity: Type.Optional(Type.Enum(GRANULARITIES, { default: 'hour', description: 'Bucket size: `hour`, or `day` (UTC days).' })),
  },
  { additionalProperties: false },
);
export type UsageQuery = Static<typeof UsageQuery>;

const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const UsageBucketSchema = Type.Object(
  {
    start: DateTime('Start of the bucket (its hour, or its UTC day).'),
    requests: Count('Every request the key made in the bucket.'),
    succeeded: Count('Answered 2xx (or any status below 400).'),
    client_errors: Count('Refused with a 4xx other than 429 (bad input, not found, missing scope…).'),
    rate_limited: Count('Refused with 429: over the key’s hourly limit.'),
    server_errors: Count('Failed with a 5xx.'),
  },
  { title: 'ApiUsageBucket' },
);
export type UsageBucket = Static<typeof UsageBucketSchema>;

export const UsageSchema = Type.Object(
  {
    key_id: Type.String(),
    granularity: Type.Enum(GRANULARITIES),
    from: DateTime('Start of the first bucket.'),
    to: DateTime('End of the last bucket (exclusive).'),
    hourly_limit: Type.Integer({ description: 'The requests per rolling hour the key gets now (its own limit or the agency’s).' }),
    data: Type.Array(UsageBucketSchema, { description: 'Every bucket of the range, oldest first, empty ones included (all counts 0).' }),
  },
  { title: 'ApiUsage' },
);
export type Usage = Static<typeof UsageSchema>;

export const RequestLogSchema = Type.Object(
  {
    id: Type.String({ examples: ['reqlog_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    key_id: Type.String({ description: 'The API key that made the request.' }),
    method: Type.String({ examples: ['GET'] }),
    path: Type.String({ description: 'The path and query string as requested, with credentials (API keys, secrets, parameters named like tokens) replaced by `[redacted]`.' }),
    status: Type.Integer({ description: 'The HTTP status of the response.' }),
    duration_ms: Type.Number({ description: 'Time from the request’s arrival to the end of its response, in milliseconds.' }),
    request_id: Type.String({ description: 'The `Request-Id` of the response: quote it to FARO support.' }),
    client_ip: Nullable(Type.String({ description: 'The address the request came from (behind trusted proxies, the client’s).' })),
    created_at: DateTime('When the request arrived.'),
  },
  { title: 'RequestLog' },
);
export type RequestLog = Static<typeof RequestLogSchema>;

export const RequestLogFilters = {
  key_id: Type.Optional(IdFilter('key', 'Only requests made with this API key.')),
  status: Type.Optional(
    Type.String({
      pattern: '^[1-5]([0-9]{2}|xx)$',
      description: 'Only this status (`404`) or status class (`4xx`).',
      examples: ['4xx'],
    }),
  ),
  path: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      pattern: '^/',
      description: 'Only requests whose path (with its query) starts with this, e.g. `/api/v1/leads`.',
      examples: ['/api/v1/leads'],
    }),
  ),
  created_since: Type.Optional(SinceFilter('Only requests made at or after this instant (RFC 3339).')),
  created_before: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only requests made before this instant (RFC 3339); must be later than `created_since`.', examples: ['2026-02-28T00:00:00Z'] }),
  ),
};

export interface RequestLogFilter {
  key_id?: string | undefined;
  status?: string | undefined;
  path?: string | undefined;
  created_since?: string | undefined;
  created_before?: string | undefined;
}
