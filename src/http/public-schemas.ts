import { Type, type TProperties } from 'typebox';
import { isId, type IdPrefix } from '../lib/ids.ts';
import { notFound } from '../kit/errors.ts';
import { PageQuery } from '../kit/pagination.ts';

/*
 * Building blocks shared by the public (/api/v1) route plugins, so every resource spells ids,
 * filters and lists the same way in validation and in the OpenAPI document.
 */

const ID_BODY_PATTERN = '[0-9a-hjkmnp-tv-z]{26}';

export const exampleId = (prefix: IdPrefix) => `${prefix}_01jd5m0d9d6v3fw8p3n4q7r2s1`;

/**
 * `:id` path parameter. Deliberately no pattern: a malformed id must answer the same 404 as a
 * missing one (see `requireId`), not a 400 that tells ids apart.
 */
export function IdParams(prefix: IdPrefix, noun: string) {
  return Type.Object(
    {
      id: Type.String({
        description: `The ${noun}'s id (\`${prefix}_…\`). Unknown ids, malformed ids and ids of another agency all answer 404.`,
        examples: [exampleId(prefix)],
      }),
    },
    { additionalProperties: false },
  );
}

/** Answer a malformed id with the not-found a missing id gets, without a database round trip. */
export function requireId(prefix: IdPrefix, id: string, noun: string): string {
  if (!isId(prefix, id)) throw notFound(noun);
  return id;
}

/** A filter naming another resource; malformed values are a 400, other agencies' ids match nothing. */
export function IdFilter(prefix: IdPrefix, description: string) {
  return Type.String({ pattern: `^${prefix}_${ID_BODY_PATTERN}$`, description, examples: [exampleId(prefix)] });
}

/** An RFC 3339 lower bound on a timestamp column. */
export function SinceFilter(description: string) {
  return Type.String({ format: 'date-time', description, examples: ['2026-01-31T00:00:00Z'] });
}

/** Query of a single-resource GET: no parameters, and an unknown one is a 400 rather than ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** Query of a list: `limit`, `cursor` and the list's own filters; anything else is a 400. */
export function ListQuery<T extends TProperties>(filters: T) {
  return Type.Object({ ...PageQuery, ...filters }, { additionalProperties: false });
}
