import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../kit/errors.ts';

/**
 * preValidation hook of a POST whose body is optional: no body at all reads as `{}`, so schema
 * defaults apply. A body that is sent is validated like any other (`null` is not an object: 400).
 */
export async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}

/** No valid body of this API nests deeper than a few levels; 32 leaves room and bounds the work. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** True when arrays and objects nest deeper than `max`: one pass over the text, brackets inside strings ignored. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/**
 * The application/json parser: Fastify's own (secure-json-parse, refusing `__proto__` and
 * `constructor.prototype` keys), behind a depth check. Parsing, proto scanning and validating a
 * body of 500,000 nested arrays blocks the event loop for hundreds of milliseconds; the scan
 * refuses it in one linear pass first.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new ApiError('validation_failed', `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; no request to this API needs that.`, {
          errors: [{ path: 'body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }],
        }),
        undefined,
      );
      return;
    }
    parse(request, text, done);
  });
}
