import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/*
 * API keys: `faro_live_` + 32 random base62 chars (~190 bits) + 6 base62 chars of CRC32(random);
 * test-mode keys: `faro_test_` + the same shape, their checksum taken over prefix + random, so a
 * live key with its prefix swapped fails the checksum (live keys keep the scheme they were made with).
 * The checksum lets the server refuse a mistyped or made-up key without a database hit, and gives
 * secret scanners a format they can verify. Keys are stored only as SHA-256: with this much
 * entropy a slow hash adds nothing, and the hash doubles as the lookup key.
 */
export const API_KEY_PREFIX = 'faro_live_';
export const TEST_API_KEY_PREFIX = 'faro_test_';
export type KeyMode = 'live' | 'test';
export const API_KEY_RANDOM_LENGTH = 32;
export const API_KEY_CHECKSUM_LENGTH = 6;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + API_KEY_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_PATTERN = new RegExp(`^[0-9A-Za-z]{${API_KEY_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH}}$`);
const MASK_CHARS = 4;

function randomBase62(length: number): string {
  let out = '';
  // randomInt rejection-samples internally, so every character is uniform (no modulo bias).
  for (let i = 0; i < length; i += 1) out += BASE62.charAt(randomInt(BASE62.length));
  return out;
}

/** CRC32 of the random part as 6 base62 digits, most significant first (62^6 > 2^32). */
function checksum(randomPart: string): string {
  let value = crc32(randomPart);
  let out = '';
  for (let i = 0; i < API_KEY_CHECKSUM_LENGTH; i += 1) {
    out = BASE62.charAt(value % 62) + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `displayPrefix` includes API_KEY_PREFIX (e.g. "faro_live_abcd"); `displaySuffix` is the key's last 4 chars. */
export function maskApiKey(displayPrefix: string, displaySuffix: string): string {
  return `${displayPrefix}…${displaySuffix}`;
}

function checksumOf(mode: KeyMode, randomPart: string): string {
  return mode === 'live' ? checksum(randomPart) : checksum(TEST_API_KEY_PREFIX + randomPart);
}

export function generateApiKey(mode: KeyMode = 'live'): { key: string; hash: string; displayPrefix: string; displaySuffix: string } {
  const randomPart = randomBase62(API_KEY_RANDOM_LENGTH);
  const prefix = mode === 'live' ? API_KEY_PREFIX : TEST_API_KEY_PREFIX;
  const key = `${prefix}${randomPart}${checksumOf(mode, randomPart)}`;
  return {
    key,
    hash: hashApiKey(key),
    displayPrefix: key.slice(0, API_KEY_PREFIX.length + MASK_CHARS),
    displaySuffix: key.slice(-MASK_CHARS),
  };
}

/** The mode a key's prefix names, or undefined for neither prefix; says nothing about the rest. */
export function apiKeyMode(raw: string): KeyMode | undefined {
  if (raw.startsWith(API_KEY_PREFIX)) return 'live';
  if (raw.startsWith(TEST_API_KEY_PREFIX)) return 'test';
  return undefined;
}

/** Format and checksum only; says nothing about whether the key exists. */
export function isWellFormedApiKey(raw: string): boolean {
  if (typeof raw !== 'string' || raw.length !== API_KEY_LENGTH) return false;
  const mode = apiKeyMode(raw);
  if (mode === undefined) return false;
  const body = raw.slice(API_KEY_PREFIX.length);
  if (!BODY_PATTERN.test(body)) return false;
  const randomPart = body.slice(0, API_KEY_RANDOM_LENGTH);
  return body.slice(API_KEY_RANDOM_LENGTH) === checksumOf(mode, randomPart);
}
