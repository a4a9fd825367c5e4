import { randomFillSync } from 'node:crypto';

/** Type prefixes of every public id (DESIGN.md: "Public ids"). */
export type IdPrefix =
  | 'agy' | 'usr' | 'loc' | 'conv' | 'msg' | 'rev' | 'lead' | 'sync' | 'evt'
  | 'whsub' | 'whdel' | 'whatt' | 'key' | 'audit' | 'reqlog' | 'alert';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Random bytes are drawn from a pooled buffer refilled 256 ids at a time: one randomBytes call
 * per id was a measurable share of a busy worker's CPU (each call is a trip into OpenSSL).
 */
const RANDOM_POOL = Buffer.alloc(16 * 256);
let poolOffset = RANDOM_POOL.length;

function sixteenRandomBytes(): Buffer {
  if (poolOffset >= RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  poolOffset += 16;
  return RANDOM_POOL.subarray(poolOffset - 16, poolOffset);
}

/**
 * A prefixed, time-ordered id: `<prefix>_` + 10 chars of milliseconds + 16 random chars (ULID
 * layout, lower-case Crockford base32). Sorting ids sorts by creation time, which is what makes
 * newest-first cursors a plain `id < $cursor`.
 */
export function newId(prefix: IdPrefix, at: Date = new Date()): string {
  const random = sixteenRandomBytes();
  let randomPart = '';
  for (let i = 0; i < 16; i++) randomPart += CROCKFORD[random[i]! % 32];
  return idFloor(prefix, at) + randomPart;
}

/**
 * Every id made at or after `at` sorts at or above this, every one made before it below: a time
 * bound on the primary key (or an index ending in the id), so "created since" needs no index of
 * its own.
 */
export function idFloor(prefix: IdPrefix, at: Date): string {
  let time = at.getTime();
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${timePart}`;
}

/** When an id was made: the milliseconds its time part holds (NaN for a string that is not an id). */
export function timeOfId(id: string): number {
  const timePart = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let time = 0;
  for (const char of timePart) {
    const digit = CROCKFORD.indexOf(char);
    if (digit < 0) return Number.NaN;
    time = time * 32 + digit;
  }
  return timePart.length === 10 ? time : Number.NaN;
}

const ID_BODY = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `value` looks like an id of this type; used to answer 404 without a query. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_BODY.test(value.slice(prefix.length + 1));
}
