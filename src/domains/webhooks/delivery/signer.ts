import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks v1 signing (https://www.standardwebhooks.com): each signature is
 * `v1,` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")), where `key` is the base64 part of
 * a `whsec_…` secret decoded to bytes. Receivers verify with the `standardwebhooks` or `svix`
 * libraries, which accept a header holding several space-separated signatures.
 */
export interface SignInput {
  /** `webhook-id`: the event id, the same on every retry of that event. */
  id: string;
  /** `webhook-timestamp`: unix seconds of this attempt (an integer, not milliseconds). */
  timestamp: number;
  /** The exact request body that will be sent (the signature covers these UTF-8 bytes). */
  body: string;
  /** `whsec_…` secrets: the current one first, then the previous one while a rotation lasts. */
  secrets: readonly string[];
}

export interface WebhookHeaders {
  'content-type': 'application/json';
  'user-agent': 'FARO-Webhooks/1';
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';
/** Anything later than this is certainly milliseconds passed by mistake (year 5138 in seconds). */
const MAX_TIMESTAMP_SECONDS = 1e11;

/**
 * Decoded keys of recently used secrets. A worker signs every attempt with one of a few secrets;
 * decoding and re-checking the base64, and handing createHmac raw bytes, cost more than the HMAC.
 */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_SIZE = 1000;

function secretKey(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (key === undefined) {
    key = createSecretKey(decodeSecret(secret));
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

function decodeSecret(secret: string): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) {
    throw new Error('signer: secrets must start with whsec_');
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0 || key.toString('base64') !== encoded) {
    throw new Error('signer: secret is not valid base64 after whsec_');
  }
  return key;
}

function checkInput({ id, timestamp, secrets }: SignInput): void {
  if (typeof id !== 'string' || id.length === 0) throw new Error('signer: id is required');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp >= MAX_TIMESTAMP_SECONDS) {
    throw new Error('signer: timestamp must be integer unix seconds');
  }
  if (secrets.length === 0) throw new Error('signer: at least one secret is required');
}

/**
 * The `webhook-signature` header value: one `v1,<base64>` per secret, in the order given,
 * separated by single spaces.
 */
export function signPayload(input: SignInput): string {
  checkInput(input);
  const signed = `${input.id}.${input.timestamp}.${input.body}`;
  return input.secrets
    .map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(signed, 'utf8').digest('base64')}`)
    .join(' ');
}

/** Every header of a webhook request (DESIGN.md "Webhook request"), names in lower case. */
export function buildWebhookHeaders(input: SignInput): WebhookHeaders {
  return {
    'content-type': 'application/json',
    'user-agent': 'FARO-Webhooks/1',
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signPayload(input),
  };
}
