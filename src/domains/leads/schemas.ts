import { Type, type Static } from 'typebox';
import { DateTime, Nullable, iso, isoOrNull } from '../../lib/schema.ts';
import type { LeadStatus, Row } from '../../db/types.ts';

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'converted', 'lost'] as const;
export const LeadStatusSchema = Type.Enum(LEAD_STATUSES);

const LeadValue = Type.Number({ minimum: 0, maximum: 9_999_999_999.99, multipleOf: 0.01, description: 'Deal value in the agency currency.' });

export const LeadSchema = Type.Object(
  {
    id: Type.String({ examples: ['lead_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    object: Type.Literal('lead'),
    location_id: Type.String(),
    name: Type.String(),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    source: Type.String({ examples: ['website_form', 'google_ads', 'referral'] }),
    status: LeadStatusSchema,
    value: Nullable(Type.Number()),
    notes: Type.String(),
    converted_at: Nullable(DateTime()),
    created_at: DateTime(),
    updated_at: DateTime(),
  },
  { title: 'Lead', description: 'A prospective customer of a location, tracked through to conversion.' },
);
export type Lead = Static<typeof LeadSchema>;

export function toLead(row: Row<'leads'>): Lead {
  return {
    id: row.id,
    object: 'lead',
    location_id: row.location_id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    source: row.source,
    status: row.status,
    value: row.value === null ? null : Number(row.value),
    notes: row.notes,
    converted_at: isoOrNull(row.converted_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export const CreateLeadBody = Type.Object(
  {
    location_id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
    phone: Type.Optional(Nullable(Type.String({ minLength: 3, maxLength: 40 }))),
    // The default is the service's, not a schema `default`: generated clients would make the field required.
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Where the lead came from; `api` when left out.' })),
    status: Type.Optional(LeadStatusSchema),
    value: Type.Optional(Nullable(LeadValue)),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false, title: 'CreateLead' },
);
export type CreateLeadInput = Static<typeof CreateLeadBody>;

export const DEFAULT_LEAD_SOURCE = 'api';

/**
 * The body with its defaults filled in, as the service stores it: also what an Idempotency-Key
 * fingerprints, so `{…}` and `{…, "source": "api"}` are the same request.
 */
export function withLeadDefaults(input: CreateLeadInput): CreateLeadInput {
  return { ...input, source: input.source ?? DEFAULT_LEAD_SOURCE };
}

export const UpdateLeadBody = Type.Object(
  {
    status: Type.Optional(LeadStatusSchema),
    value: Type.Optional(Nullable(LeadValue)),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false, minProperties: 1, title: 'UpdateLead' },
);
export type UpdateLeadInput = Static<typeof UpdateLeadBody>;

export interface LeadFilters {
  location_id?: string | undefined;
  status?: LeadStatus | undefined;
  updated_since?: string | undefined;
}
