import { parseItem } from 'structured-headers';
import { ApiError } from '../../kit/errors.ts';

/*
 * The `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header): an Item Structured
 * Field whose value is a String (RFC 9651 sf-string), e.g. `"8e03978e-40d5-43e8-bc93-6894a57f9324"`.
 * The key is the string's content, so quoting is syntax, not part of the key.
 *
 * Where FARO deviates from the draft: a value that does not start with `"` is accepted as the key
 * itself (the bare form Stripe and most clients send, `Idempotency-Key: 8e03978e-…`). `k` and
 * `"k"` are therefore the same key. A bare key may not hold `"`, `,` or `;`, which in the
 * structured form would mean something else (a string, a second key, a parameter): such keys
 * must be quoted. Parameters after a quoted key (`"k";a=1`) are ignored, as RFC 9651 asks of
 * unknown ones; the draft defines none.
 */

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** The bare form: visible ASCII other than `"`, `,` and `;`. */
const BARE_KEY = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x7E]+$/;

const EXAMPLE = '"8e03978e-40d5-43e8-bc93-6894a57f9324"';

function invalidKey(message: string): ApiError {
  return new ApiError('validation_failed', 'The Idempotency-Key header is not valid; see errors.', {
    errors: [{ path: 'header.idempotency-key', message }],
  });
}

function quotedKey(value: string): string {
  let item;
  try {
    item = parseItem(value);
  } catch {
    throw invalidKey(`must be one quoted string (an RFC 9651 sf-string of printable ASCII; escape " and \\ with \\), e.g. ${EXAMPLE}`);
  }
  if (typeof item[0] !== 'string') throw invalidKey(`must be a quoted string, e.g. ${EXAMPLE}`);
  return item[0];
}

function isKey(text: string): boolean {
  if (!text.startsWith('"')) return BARE_KEY.test(text);
  try {
    return typeof parseItem(text)[0] === 'string';
  } catch {
    return false;
  }
}

/** Node joins repeated header lines with `, `; the draft allows one Idempotency-Key per request. */
const isSeveralKeys = (value: string) => value.includes(',') && value.split(',').every((part) => isKey(part.trim()));

/** The key an `Idempotency-Key` header value names; a 400 problem when the value is malformed. */
export function parseIdempotencyKey(value: string): string {
  const trimmed = value.trim();
  if (isSeveralKeys(trimmed)) throw invalidKey('must be sent once, with one key');
  let key: string;
  if (trimmed.startsWith('"')) key = quotedKey(trimmed);
  else if (trimmed === '' || BARE_KEY.test(trimmed)) key = trimmed;
  else throw invalidKey(`must be a quoted string such as ${EXAMPLE}, or an unquoted key of printable ASCII without spaces, ", comma or semicolon`);
  if (key === '') throw invalidKey('must not be empty');
  if (key.length > IDEMPOTENCY_KEY_MAX_LENGTH) throw invalidKey(`must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters long`);
  return key;
}
