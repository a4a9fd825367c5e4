import { Type, type Static } from 'typebox';
import { DEFAULT_MAX_API_KEYS, MAX_API_KEYS_LIMIT } from './entitlements.ts';

export const TierSchema = Type.Enum(['starter', 'growth', 'scale', 'enterprise'], { description: 'Plan of the agency; the integrations need scale or enterprise.' });
export const RoleSchema = Type.Enum(['owner', 'admin', 'member']);

export const AgencySchema = Type.Object({
  id: Type.String({ examples: ['agy_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
  name: Type.String(),
  tier: TierSchema,
  api_rate_limit: Type.Union([Type.Integer(), Type.Null()], { description: 'Custom hourly limit (enterprise).' }),
  effective_api_rate_limit: Type.Integer({ description: 'Requests per hour each API key gets by default.' }),
  max_api_keys: Type.Union([Type.Integer(), Type.Null()], { description: `Custom cap on active API keys; null = the default (${DEFAULT_MAX_API_KEYS}).` }),
  effective_max_api_keys: Type.Integer({ description: 'Active API keys the agency may hold; generating one more answers 409.' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type Agency = Static<typeof AgencySchema>;

export const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
});
export type User = Static<typeof UserSchema>;

const Email = Type.String({ format: 'email', maxLength: 254 });
const Password = Type.String({ minLength: 10, maxLength: 200, description: 'At least 10 characters.' });

export const CreateAgencyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    tier: TierSchema,
    admin_email: Email,
    admin_password: Password,
    api_rate_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);
export type CreateAgencyInput = Static<typeof CreateAgencyBody>;

export const UpdateAgencyBody = Type.Object(
  {
    tier: Type.Optional(TierSchema),
    api_rate_limit: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10_000_000 }), Type.Null()])),
    max_api_keys: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_API_KEYS_LIMIT }), Type.Null()], {
      description: `Cap on active API keys; null restores the default (${DEFAULT_MAX_API_KEYS}). Keys already above a lowered cap keep working.`,
    })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAgencyInput = Static<typeof UpdateAgencyBody>;

export const CreateUserBody = Type.Object(
  { email: Email, password: Password, role: RoleSchema, name: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export type CreateUserInput = Static<typeof CreateUserBody>;

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const SessionView = Type.Object({
  user: UserSchema,
  agency: Type.Object({ id: Type.String(), name: Type.String(), tier: TierSchema, api_rate_limit: Type.Integer() }),
  csrf_token: Type.String(),
});
export type SessionViewType = Static<typeof SessionView>;
