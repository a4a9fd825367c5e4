import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';

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
   * Decrypts a value made by `seal` with the current key or one of the previous keys. Throws when
   * the value is malformed, was sealed with another key, or was altered in any way (GCM
   * authentication).
   */
  open(sealed: string): string;
  /** True when `sealed` opens with the current key; false when it needs re-sealing (or is bad). */
  isCurrent(sealed: string): boolean;
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

function checkKey(key: Buffer): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`secret box: key must be ${KEY_BYTES} bytes`);
  }
  return Buffer.from(key); // private copy: later changes to the caller's buffer do not leak in
}

function parse(sealed: string): { iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('secret box: not a v1 sealed value');
  const iv = decodeStrictBase64(parts[1]!, 'iv');
  const tag = decodeStrictBase64(parts[2]!, 'tag');
  const ciphertext = decodeStrictBase64(parts[3]!, 'ciphertext');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('secret box: malformed iv or tag');
  return { iv, tag, ciphertext };
}

/** The plain text, or null when this key did not seal it (or it was altered). */
function decryptWith(aesKey: Buffer, { iv, tag, ciphertext }: ReturnType<typeof parse>): string | null {
  const decipher = createDecipheriv('aes-256-gcm', aesKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * `key` (32 bytes, AES-256) seals; it and `previousKeys` open, so FARO_SECRET_KEY can be rotated
 * while values sealed with the old key are still in the database (`npm run secrets:reseal`
 * rewrites them). Keep the keys out of the database.
 */
export function createSecretBox(key: Buffer, previousKeys: readonly Buffer[] = []): SecretBox {
  const aesKey = checkKey(key);
  const openingKeys = [aesKey, ...previousKeys.map(checkKey)];

  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join('.');
    },

    open(sealed) {
      const parsed = parse(sealed);
      for (const candidate of openingKeys) {
        const plain = decryptWith(candidate, parsed);
        if (plain !== null) return plain;
      }
      throw new Error('secret box: authentication failed (wrong key or tampered value)');
    },

    isCurrent(sealed) {
      try {
        return decryptWith(aesKey, parse(sealed)) !== null;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The box that seals webhook secrets with FARO_SECRET_KEY (and opens those sealed with
 * FARO_SECRET_KEY_PREVIOUS). Built on first use, so a process that never touches a secret does
 * not need the key.
 */
export function secretBoxFromConfig(config: Pick<Config, 'secretKey' | 'previousSecretKeys'>): SecretBox {
  let box: SecretBox | undefined;
  const get = (): SecretBox => {
    if (!config.secretKey) throw new Error('FARO_SECRET_KEY is not configured; webhook secrets cannot be sealed or opened');
    const decode = (key: string) => Buffer.from(key, 'base64');
    box ??= createSecretBox(decode(config.secretKey), config.previousSecretKeys.map(decode));
    return box;
  };
  return { seal: (plain) => get().seal(plain), open: (sealed) => get().open(sealed), isCurrent: (sealed) => get().isCurrent(sealed) };
}

/** A new webhook signing secret: `whsec_` + base64 of 32 random bytes (DESIGN.md). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
