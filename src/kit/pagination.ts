import { Type, type TSchema } from 'typebox';
import { ApiError } from './errors.ts';
import { isId, type IdPrefix } from '../lib/ids.ts';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size, 1–100.' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `next_cursor` of the previous page.' })),
};

export function PageSchema<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    {
      data: Type.Array(item),
      has_more: Type.Boolean(),
      next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` to get the next page; null on the last page.' }),
    },
    { title: `${name}List` },
  );
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** Cursors are opaque to clients: a versioned wrapper around the last id of the page. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`v1:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, prefix: IdPrefix): string | undefined {
  return decodeKeyCursor(cursor, (id) => isId(prefix, id));
}

/** A cursor over something other than ids (e.g. the event catalog's type names). */
export function decodeKeyCursor(cursor: string | undefined, isValidKey: (key: string) => boolean): string | undefined {
  if (cursor === undefined) return undefined;
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const key = decoded.startsWith('v1:') ? decoded.slice(3) : '';
  if (!isValidKey(key)) {
    throw new ApiError('invalid_cursor', 'The cursor is not one this list returned; start again without a cursor.', {
      errors: [{ path: 'query.cursor', message: 'is not a valid cursor' }],
    });
  }
  return key;
}

/** Rows were fetched with `limit + 1` to learn whether another page exists without a count. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, render: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(render),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(last.id) : null,
  };
}

export interface PageRequest {
  limit: number;
  /** Return rows with ids strictly below this one (newest first). */
  before?: string | undefined;
}

export function pageRequest(query: { limit?: number | undefined; cursor?: string | undefined }, prefix: IdPrefix): PageRequest {
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, before: decodeCursor(query.cursor, prefix) };
}
