import { Type, type Static } from 'typebox';
import { DateTime, Nullable, iso, isoOrNull } from '../../lib/schema.ts';
import type { Row } from '../../db/types.ts';

export const REVIEW_SOURCES = ['google', 'facebook', 'yelp'] as const;

export const ReviewSchema = Type.Object(
  {
    id: Type.String({ examples: ['rev_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    object: Type.Literal('review'),
    location_id: Type.String(),
    source: Type.Enum(REVIEW_SOURCES),
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    author_name: Type.String(),
    body: Type.String(),
    reply: Nullable(Type.String()),
    replied_at: Nullable(DateTime()),
    published_at: DateTime('When the review appeared on the source site.'),
    created_at: DateTime('When FARO first saw the review.'),
    updated_at: DateTime(),
  },
  { title: 'Review', description: 'A customer review of a location on Google, Facebook or Yelp.' },
);
export type Review = Static<typeof ReviewSchema>;

export function toReview(row: Row<'reviews'>): Review {
  return {
    id: row.id,
    object: 'review',
    location_id: row.location_id,
    source: row.source,
    rating: row.rating,
    author_name: row.author_name,
    body: row.body,
    reply: row.reply,
    replied_at: isoOrNull(row.replied_at),
    published_at: iso(row.published_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export interface NewReview {
  location_id: string;
  source: (typeof REVIEW_SOURCES)[number];
  rating: number;
  author_name: string;
  body: string;
  published_at?: Date;
  reply?: string | null;
}

export interface ReviewFilters {
  location_id?: string | undefined;
  source?: (typeof REVIEW_SOURCES)[number] | undefined;
  rating?: number | undefined;
  created_since?: string | undefined;
}
