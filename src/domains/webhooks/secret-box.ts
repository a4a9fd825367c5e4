import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for webhook signing secrets: AES-256-GCM with a 96-bit random IV per seal.
 *
 * Sealed format: `v1.<iv b64>.<tag b64>.<ciphertext b64>` (standard base64, padded). The `v1`
 * prefix names the scheme so the key or algorithm can change later without guessing.
 */
export interface SecretBox {
  /** Encrypts `plain` (UTF-8) with a fresh random IV. Two seals of the same text differ. */
  seal(plain: string): string;
  /**
   * Decrypts a value made by `seal` with the same key. Throws when the value is malformed, was
   * sealed with another key, or was altered in any way (GCM authentication).
   */
  open(sealed: string): string;
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Decodes canonical base64 only; anything that does not re-encode to itself is rejected. */
function decodeStrictBase64(part: string, what: string): Buffer {
  const bytes = Buffer.from(part, 'base64');
  if (bytes.toString('base64') !== part) throw new Error(`secret box: malformed ${what}`);
  return bytes;
}

/** `key` must be exactly 32 bytes (AES-256). Keep it out of the database. */
export function createSecretBox(key: Buffer): SecretBox {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`secret box: key must be ${KEY_BYTES} bytes`);
  }
  const aesKey = Buffer.from(key); // private copy: later changes to the caller's buffer do not leak in

  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join('.');
    },

    open(sealed) {
      const parts = typeof sealed === 'string' ? sealed.split('.') : [];
      if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('secret box: not a v1 sealed value');
      const iv = decodeStrictBase64(parts[1]!, 'iv');
      const tag = decodeStrictBase64(parts[2]!, 'tag');
      const ciphertext = decodeStrictBase64(parts[3]!, 'ciphertext');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('secret box: malformed iv or tag');
      const decipher = createDecipheriv('aes-256-gcm', aesKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('secret box: authentication failed (wrong key or tampered value)');
      }
    },
  };
}

/** A new webhook signing secret: `whsec_` + base64 of 32 random bytes (DESIGN.md). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
