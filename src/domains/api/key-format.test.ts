import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { API_KEY_LENGTH, API_KEY_PREFIX, apiKeyMode, generateApiKey, hashApiKey, isWellFormedApiKey, maskApiKey, TEST_API_KEY_PREFIX } from './key-format.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('API key format', () => {
  it('generates well-formed, unique keys in the documented shape', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const { key, hash } = generateApiKey();
      expect(key).toMatch(/^faro_live_[0-9A-Za-z]{38}$/);
      expect(key).toHaveLength(API_KEY_LENGTH);
      expect(API_KEY_LENGTH).toBe(48);
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(hash).toBe(hashApiKey(key));
      seen.add(key);
    }
    expect(seen.size).toBe(200);
  });

  it('uses CRC32 of the random part, zero-padded base62, as the checksum', () => {
    const { key } = generateApiKey();
    const random = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + 32);
    let value = 0;
    for (const ch of key.slice(-6)) value = value * 62 + BASE62.indexOf(ch);
    expect(value).toBe(crc32(random));
    // A known vector, so the format cannot drift silently: crc32("0"*32) in base62.
    const zeros = '0'.repeat(32);
    let expected = '';
    for (let v = crc32(zeros), i = 0; i < 6; i += 1, v = Math.floor(v / 62)) expected = BASE62.charAt(v % 62) + expected;
    expect(isWellFormedApiKey(`${API_KEY_PREFIX}${zeros}${expected}`)).toBe(true);
  });

  it('rejects every one-character change, in the random part and in the checksum', () => {
    const { key } = generateApiKey();
    for (let i = API_KEY_PREFIX.length; i < key.length; i += 1) {
      for (const ch of BASE62) {
        if (ch === key[i]) continue;
        const changed = key.slice(0, i) + ch + key.slice(i + 1);
        expect(isWellFormedApiKey(changed), `position ${i} -> ${ch}`).toBe(false);
      }
    }
  });

  it('rejects wrong prefix, length and charset', () => {
    const { key } = generateApiKey();
    const body = key.slice(API_KEY_PREFIX.length);
    for (const bad of [
      `faro_test_${body}`,
      `FARO_LIVE_${body}`,
      `faro_live${body}x`,
      body,
      key.slice(0, -1),
      `${key}0`,
      `${key.slice(0, 20)}-${key.slice(21)}`,
      `${key.slice(0, 20)}_${key.slice(21)}`,
      `${key.slice(0, 20)}é${key.slice(21)}`,
      ` ${key.slice(1)}`,
      `${key.slice(0, -1)}\n`,
      '',
      API_KEY_PREFIX,
    ]) {
      expect(isWellFormedApiKey(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isWellFormedApiKey(undefined as unknown as string)).toBe(false);
  });

  it('masks as prefix + first 4 random chars … last 4 chars', () => {
    const { key, displayPrefix, displaySuffix } = generateApiKey();
    expect(displayPrefix).toBe(key.slice(0, 14));
    expect(displayPrefix.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(displaySuffix).toBe(key.slice(-4));
    expect(maskApiKey(displayPrefix, displaySuffix)).toBe(`${key.slice(0, 14)}…${key.slice(-4)}`);
    expect(maskApiKey('faro_live_abcd', 'wxyz')).toBe('faro_live_abcd…wxyz');
  });

  it('hashes with SHA-256 hex, stably', () => {
    const key = 'faro_live_0000000000000000000000000000000000000';
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey(key)).toBe(hashApiKey(key));
  });

  describe('test-mode keys', () => {
    it('have the live shape and length with the faro_test_ prefix, and say their mode', () => {
      for (let i = 0; i < 100; i += 1) {
        const { key, displayPrefix } = generateApiKey('test');
        expect(key).toMatch(/^faro_test_[0-9A-Za-z]{38}$/);
        expect(key).toHaveLength(API_KEY_LENGTH);
        expect(isWellFormedApiKey(key)).toBe(true);
        expect(apiKeyMode(key)).toBe('test');
        expect(displayPrefix.startsWith(TEST_API_KEY_PREFIX)).toBe(true);
      }
      expect(apiKeyMode(generateApiKey().key)).toBe('live');
      expect(apiKeyMode('faro_demo_x')).toBeUndefined();
    });

    it('take the checksum over prefix + random part: a known vector', () => {
      const zeros = '0'.repeat(32);
      let expected = '';
      for (let v = crc32(`${TEST_API_KEY_PREFIX}${zeros}`), i = 0; i < 6; i += 1, v = Math.floor(v / 62)) expected = BASE62.charAt(v % 62) + expected;
      expect(isWellFormedApiKey(`${TEST_API_KEY_PREFIX}${zeros}${expected}`)).toBe(true);
      // The same body under the live prefix is not a key (its checksum is over the random part alone).
      expect(isWellFormedApiKey(`${API_KEY_PREFIX}${zeros}${expected}`)).toBe(false);
    });

    it('refuse a live body under the test prefix and a test body under the live prefix', () => {
      for (let i = 0; i < 200; i += 1) {
        const live = generateApiKey('live').key;
        const test = generateApiKey('test').key;
        expect(isWellFormedApiKey(TEST_API_KEY_PREFIX + live.slice(API_KEY_PREFIX.length))).toBe(false);
        expect(isWellFormedApiKey(API_KEY_PREFIX + test.slice(TEST_API_KEY_PREFIX.length))).toBe(false);
      }
    });

    it('reject every one-character change', () => {
      const { key } = generateApiKey('test');
      for (let i = TEST_API_KEY_PREFIX.length; i < key.length; i += 1) {
        for (const ch of BASE62) {
          if (ch === key[i]) continue;
          expect(isWellFormedApiKey(key.slice(0, i) + ch + key.slice(i + 1)), `position ${i} -> ${ch}`).toBe(false);
        }
      }
    });
  });
});
