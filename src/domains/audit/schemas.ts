/** Shapes of the audit log: what an entry records, and how `GET /api/v1/audit-events` lists them. */
import { Type, type Static } from 'typebox';
import type { AuditAction, AuditActorType, AuditTargetType } from '../../db/types.ts';
import { DateTime, Nullable } from '../../lib/schema.ts';
import { SinceFilter } from '../../http/public-schemas.ts';

/** The closed set of audited actions, with what each records (the database checks the same set). */
export const AUDIT_ACTION_DESCRIPTIONS: Record<AuditAction, string> = {
  'api_key.created': 'An API key was generated.',
  'api_key.rotated': 'An API key was rotated (its target is the old key; `details.new_key_id` the new one).',
  'api_key.revoked': 'An API key was revoked.',
  'webhook.created': 'A webhook subscription was created.',
  'webhook.updated': 'A webhook subscription was changed (`details.changes` and `details.previous` hold the changed fields).',
  'webhook.deleted': 'A webhook subscription was deleted.',
  'webhook.secret_revealed': 'A subscription\'s signing secret was read.',
  'webhook.secret_rotated': 'A subscription\'s signing secret was rotated.',
  'webhook.recovered': 'A subscription\'s failed deliveries since a time were queued again.',
  'webhook_delivery.redelivered': 'One delivery was queued again.',
};
export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_DESCRIPTIONS) as AuditAction[];

export const ACTOR_TYPES = ['user', 'api_key', 'operator'] as const satisfies readonly AuditActorType[];
export const TARGET_TYPES = ['api_key', 'webhook_subscription', 'webhook_delivery'] as const satisfies readonly AuditTargetType[];

/** Who made a change, and in which request: every audited service action takes one. */
export interface AuditActor {
  type: AuditActorType;
  /** The user's id, or the API key's; null for a FARO operator (the admin token has no identity). */
  id: string | null;
  /** The Request-Id of the request that made the change. */
  requestId: string | null;
}

export interface AuditTarget {
  type: AuditTargetType;
  id: string;
}

const ActorSchema = Type.Object(
  {
    type: Type.Enum(ACTOR_TYPES, { description: '`user`: a portal user; `api_key`: a request made with an API key; `operator`: FARO staff.' }),
    id: Nullable(Type.String({ description: 'The user\'s id (`usr_…`) or the key\'s (`key_…`); null for an operator.' })),
    label: Nullable(Type.String({ description: 'The user\'s email or the key\'s name, as they are now; null for an operator.' })),
  },
  { title: 'AuditActor' },
);

const TargetSchema = Type.Object(
  {
    type: Type.Enum(TARGET_TYPES),
    id: Type.String({ description: 'A `key_…`, `whsub_…` or `whdel_…` id.' }),
    label: Nullable(Type.String({ description: 'The key\'s name, or the subscription\'s URL without its query; null for a delivery.' })),
  },
  { title: 'AuditTarget' },
);

export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ examples: ['audit_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    action: Type.Enum(AUDIT_ACTIONS),
    actor: ActorSchema,
    target: TargetSchema,
    request_id: Nullable(Type.String({ description: 'The `Request-Id` of the request that made the change (null on entries older than this field).' })),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'What the action changed; never a secret.' }),
    created_at: DateTime(),
  },
  { title: 'AuditEvent' },
);
export type AuditEvent = Static<typeof AuditEventSchema>;

export const AuditEventFilters = {
  action: Type.Optional(
    Type.Array(Type.Enum(AUDIT_ACTIONS), {
      minItems: 1,
      maxItems: AUDIT_ACTIONS.length,
      description: 'Only these actions. Repeat the parameter for several (`?action=webhook.created&action=webhook.deleted`).',
    }),
  ),
  created_since: Type.Optional(SinceFilter('Only entries created at or after this instant (RFC 3339).')),
  created_before: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only entries created before this instant (RFC 3339); must be later than `created_since`.', examples: ['2026-02-28T00:00:00Z'] }),
  ),
};

export interface AuditEventFilter {
  action?: AuditAction[] | undefined;
  created_since?: string | undefined;
  created_before?: string | undefined;
}
