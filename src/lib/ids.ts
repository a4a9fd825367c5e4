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

/** Where 16 fresh random bytes start in RANDOM_POOL. */
function sixteenRandomBytes(): number {
  if (poolOffset >= RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  poolOffset += 16;
  return poolOffset - 16;
}

/**
 * A prefixed, time-ordered id: `<prefix>_` + 10 chars of milliseconds + 16 random chars (ULID
 * layout, lower-case Crockford base32). Sorting ids sorts by creation time, which is what makes
 * newest-first cursors a plain `id < $cursor`.
 */
export function newId(prefix: IdPrefix, at: Date = new Date()): string {
  return ID_SCRATCH.toString('latin1', 0, writeNewId(prefix, at.getTime(), ID_SCRATCH, 0));
}

const CROCKFORD_CODES = Uint8Array.from(CROCKFORD, (char) => char.charCodeAt(0));
const ID_SCRATCH = Buffer.alloc(64);

/**
 * newId written as ASCII bytes into `target` from `at` (for rows written as bytes, such as a
 * COPY); returns the offset after it. `target` needs prefix length + 27 bytes from `at`.
 */
export function writeNewId(prefix: IdPrefix, atMs: number, target: Uint8Array, at: number): number {
  for (let i = 0; i < prefix.length; i++) target[at++] = prefix.charCodeAt(i);
  target[at++] = 0x5f; // _
  // Milliseconds exceed 32 bits: split into two 25-bit halves (5 characters each) so the digits
  // come from integer operations rather than floating-point remainders.
  const high = Math.floor(atMs / 2 ** 25);
  let low = atMs - high * 2 ** 25;
  let rest = high;
  for (let i = 4; i >= 0; i--, rest >>>= 5) target[at + i] = CROCKFORD_CODES[rest & 31]!;
  for (let i = 9; i >= 5; i--, low >>>= 5) target[at + i] = CROCKFORD_CODES[low & 31]!;
  at += 10;
  const random = sixteenRandomBytes();
  for (let i = 0; i < 16; i++) target[at++] = CROCKFORD_CODES[RANDOM_POOL[random + i]! & 31]!;
  return at;
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
