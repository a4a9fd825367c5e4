import { Type, type Static } from 'typebox';
import { DateTime, Nullable, iso } from '../../lib/schema.ts';
import type { Row } from '../../db/types.ts';

export const LocationSchema = Type.Object(
  {
    id: Type.String({ examples: ['loc_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    object: Type.Literal('location'),
    name: Type.String({ examples: ['Harbor Dental — Downtown'] }),
    address: Type.Object({
      line1: Type.String(),
      city: Type.String(),
      region: Type.String(),
      postal_code: Type.String(),
      country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
    }),
    phone: Nullable(Type.String()),
    website: Nullable(Type.String()),
    timezone: Type.String({ examples: ['America/New_York'] }),
    created_at: DateTime(),
    updated_at: DateTime(),
  },
  { title: 'Location', description: 'A business location (listing) managed by the agency.' },
);
export type Location = Static<typeof LocationSchema>;

export function toLocation(row: Row<'locations'>): Location {
  return {
    id: row.id,
    object: 'location',
    name: row.name,
    address: { line1: row.address_line1, city: row.city, region: row.region, postal_code: row.postal_code, country: row.country },
    phone: row.phone,
    website: row.website,
    timezone: row.timezone,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export interface NewLocation {
  name: string;
  address_line1?: string;
  city?: string;
  region?: string;
  postal_code?: string;
  country?: string;
  phone?: string | null;
  website?: string | null;
  timezone?: string;
}
