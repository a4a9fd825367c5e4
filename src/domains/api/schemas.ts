import { Type, type Static } from 'typebox';
import { SCOPES } from './auth-context.ts';

export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600;
export const DEFAULT_GRACE_PERIOD_SECONDS = 24 * 3600;

export const ScopeSchema = Type.Enum(SCOPES, { description: 'A permission an API key carries.' });

const Actor = Type.Union([Type.Object({ id: Type.String(), email: Type.String() }), Type.Null()]);
const NullableDateTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const ApiKeyStatusSchema = Type.Enum(['active', 'expiring', 'revoked', 'expired'], {
  description: '`expiring`: works until `expires_at` (e.g. the old key during a rotation grace period).',
});
export type ApiKeyStatus = Static<typeof ApiKeyStatusSchema>;

export const ApiKeySchema = Type.Object({
  id: Type.String({ examples: ['key_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
  name: Type.String(),
  masked_key: Type.String({ examples: ['faro_live_aB3d…x9Yz'] }),
  scopes: Type.Array(ScopeSchema),
  status: ApiKeyStatusSchema,
  rate_limit: Type.Integer({ description: 'Requests per rolling hour this key gets now (its own limit or the agency’s).' }),
  custom_rate_limit: Type.Union([Type.Integer(), Type.Null()], { description: 'The key’s own limit (enterprise), if any.' }),
  created_at: Type.String({ format: 'date-time' }),
  created_by: Actor,
  last_used_at: NullableDateTime,
  expires_at: NullableDateTime,
  revoked_at: NullableDateTime,
  replaced_by: Type.Union([Type.String(), Type.Null()]),
});
export type ApiKey = Static<typeof ApiKeySchema>;

export const NewApiKeySchema = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: 'The full key. Shown this once; only its hash is stored.' }),
});
export type NewApiKey = Static<typeof NewApiKeySchema>;

export const ApiKeyListSchema = Type.Object({ data: Type.Array(ApiKeySchema) });

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'Must be in the future.' })),
    rate_limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Enterprise only; at most the agency’s limit.' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiKeyInput = Static<typeof CreateApiKeyBody>;

/** The operator API's variant: the same fields, and which mode the key is for. */
export const AdminCreateApiKeyBody = Type.Object(
  {
    ...CreateApiKeyBody.properties,
    mode: Type.Optional(
      Type.Enum(['live', 'test'], { description: '`test` makes a `faro_test_` key of the agency’s sandbox (created on first use). Default `live`.' }),
    ),
  },
  { additionalProperties: false },
);

export const RotateApiKeyBody = Type.Object(
  {
    grace_period_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_PERIOD_SECONDS,
        description: 'How long the old key keeps working; 0 stops it at once. Default 86400 (24 h).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RotateApiKeyInput = Static<typeof RotateApiKeyBody>;

export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const KeyUsageSchema = Type.Object({
  limit: Type.Integer(),
  used: Type.Integer({ description: 'Requests admitted in the rolling window.' }),
  remaining: Type.Integer(),
  window_seconds: Type.Integer(),
  reset_seconds: Type.Integer({ description: 'Seconds until another request is admitted; 0 while remaining > 0.' }),
});
export type KeyUsage = Static<typeof KeyUsageSchema>;

export const ScopeListSchema = Type.Object({
  data: Type.Array(Type.Object({ scope: ScopeSchema, description: Type.String() })),
});

export const KeyIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
