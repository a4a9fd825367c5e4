import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, generateWebhookSecret } from './secret-box.ts';

const key = randomBytes(32);

/** Flips one bit of one base64 part of a sealed value, keeping it canonical base64. */
function tamper(sealed: string, partIndex: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[partIndex]!, 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[partIndex] = bytes.toString('base64');
  return parts.join('.');
}

describe('createSecretBox', () => {
  it('round-trips text, including non-ASCII and empty strings', () => {
    const box = createSecretBox(key);
    for (const plain of ['whsec_abc', '', 'héllo ✓ 🔐', 'x'.repeat(10_000)]) {
      expect(box.open(box.seal(plain))).toBe(plain);
    }
  });

  it('produces v1.<iv>.<tag>.<ciphertext> with a 12-byte iv and 16-byte tag', () => {
    const sealed = createSecretBox(key).seal('secret');
    const [version, iv, tag, ciphertext] = sealed.split('.');
    expect(version).toBe('v1');
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16);
    expect(Buffer.from(ciphertext!, 'base64')).toHaveLength('secret'.length);
    expect(sealed).not.toContain('secret');
  });

  it('opens values sealed with a previous key, seals only with the current one, and says which need re-sealing', () => {
    const oldKey = randomBytes(32);
    const before = createSecretBox(oldKey).seal('whsec_old');
    const rotated = createSecretBox(key, [oldKey]);
    expect(rotated.open(before)).toBe('whsec_old');
    expect(rotated.isCurrent(before)).toBe(false);
    const after = rotated.seal('whsec_new');
    expect(rotated.isCurrent(after)).toBe(true);
    expect(createSecretBox(key).open(after)).toBe('whsec_new');
    expect(() => createSecretBox(oldKey).open(after)).toThrow(/authentication failed/);
    // Without the previous key, the old value no longer opens.
    expect(() => createSecretBox(key).open(before)).toThrow(/authentication failed/);
    expect(rotated.isCurrent('not sealed')).toBe(false);
    expect(() => createSecretBox(key, [randomBytes(16)])).toThrow(/32 bytes/);
  });

  it('uses a fresh iv per seal', () => {
    const box = createSecretBox(key);
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => createSecretBox(randomBytes(33))).toThrow(/32 bytes/);
  });

  it('does not open with another key', () => {
    const sealed = createSecretBox(key).seal('secret');
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow(/authentication failed/);
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ])('throws when the %s is tampered with', (_name, index) => {
    const box = createSecretBox(key);
    expect(() => box.open(tamper(box.seal('secret'), index))).toThrow(/secret box/);
  });

  it.each([
    ['empty', ''],
    ['wrong version', 'v2.AAAA.AAAA.AAAA'],
    ['missing parts', 'v1.AAAA.AAAA'],
    ['extra parts', 'v1.a.b.c.d'],
    ['non-canonical base64', 'v1.@@@@.AAAA.AAAA'],
  ])('throws on a malformed value (%s)', (_name, sealed) => {
    expect(() => createSecretBox(key).open(sealed)).toThrow(/secret box/);
  });

  it('throws when the ciphertext is truncated', () => {
    const box = createSecretBox(key);
    const parts = box.seal('a longer secret value').split('.');
    parts[3] = Buffer.from(parts[3]!, 'base64').subarray(0, 4).toString('base64');
    expect(() => box.open(parts.join('.'))).toThrow(/secret box/);
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ + base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});
