import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isMultipleOf } from '../lib/decimal.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean, allErrors: boolean): Ajv {
  const ajv = new Ajv({
    // Unknown fields are an error, never silently dropped (schemas say additionalProperties: false).
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerceTypes ? 'array' : false,
    allErrors,
    strict: false,
  });
  addFormats(ajv);
  // Ajv's multipleOf divides in floating point and refuses 19.99 as a multiple of 0.01.
  ajv.removeKeyword('multipleOf');
  ajv.addKeyword({
    keyword: 'multipleOf',
    type: 'number',
    schemaType: 'number',
    error: { message: ({ schemaCode }) => `must be a multiple of ${String(schemaCode)}` },
    validate: (divisor: number, value: number) => isMultipleOf(value, divisor),
  });
  return ajv;
}

// Query strings, params and headers arrive as text and need coercion ("25" → 25); JSON bodies
// must carry the right types, so `"rating": "5"` is a 400 rather than a silent conversion.
// Each comes twice: the first stops at the first error (every request runs it), the second finds
// them all (only a request already refused runs it, to say everything that is wrong at once).
const firstError = { coercing: makeAjv(true, false), strict: makeAjv(false, false) };
const allErrors = { coercing: makeAjv(true, true), strict: makeAjv(false, true) };

/**
 * Ajv with allErrors allocates an error per failure, so a 64 KiB body of 30,000 wrong array items
 * would cost 10-25 ms and as many errors; a value this large gets its first error only.
 */
export const MAX_VALUES_FOR_ALL_ERRORS = 1000;

/** How many values (scalars, arrays, objects) `value` holds, counting no further than `limit` + 1. */
function countValues(value: unknown, limit: number): number {
  let count = 0;
  const stack = [value];
  while (stack.length > 0 && count <= limit) {
    const next = stack.pop();
    count += 1;
    if (Array.isArray(next)) stack.push(...next.slice(0, limit + 1 - count));
    else if (next !== null && typeof next === 'object') stack.push(...Object.values(next).slice(0, limit + 1 - count));
  }
  return count;
}

const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';
const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Whether any string (value or key) holds U+0000; allocates nothing, as it runs on every request. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) {
    if (key.includes('\0') || hasNul((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Every string (value or key) holding U+0000, as Ajv-style errors so they are reported like any other. */
function nulErrors(value: unknown, pointer = '', found: ErrorObject[] = []): ErrorObject[] {
  if (typeof value === 'string') {
    if (value.includes('\0')) found.push({ instancePath: pointer, schemaPath: '#', keyword: 'nul', params: {}, message: NUL_MESSAGE });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => nulErrors(item, `${pointer}/${index}`, found));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const path = `${pointer}/${pointerSegment(key.replaceAll('\0', '\\u0000'))}`;
      if (key.includes('\0')) found.push({ instancePath: path, schemaPath: '#', keyword: 'nul', params: {}, message: NUL_MESSAGE });
      else nulErrors(item, path, found);
    }
  }
  return found;
}

/**
 * Ajv, after one check Ajv cannot express for every string at once: no NUL character. Postgres
 * text cannot store U+0000, so such a field is a 400 naming it here rather than a 500 there.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const kind = httpPart === 'body' ? 'strict' : 'coercing';
  const validate = firstError[kind].compile(schema as object) as ValidateFunction;
  let validateAll: ValidateFunction | undefined;
  const guarded = (data: unknown, context?: object) => {
    if (hasNul(data)) {
      guarded.errors = nulErrors(data);
      return false;
    }
    if (validate(data, context as never)) {
      guarded.errors = null;
      return true;
    }
    guarded.errors = validate.errors ?? null;
    if (countValues(data, MAX_VALUES_FOR_ALL_ERRORS) <= MAX_VALUES_FOR_ALL_ERRORS) {
      validateAll ??= allErrors[kind].compile(schema as object) as ValidateFunction;
      validateAll(data, context as never);
      guarded.errors = validateAll.errors ?? guarded.errors;
    }
    return false;
  };
  guarded.errors = null as ErrorObject[] | null;
  // Fastify passes the parent object when this is set, so Ajv can replace a coerced root value.
  guarded.schemaEnv = validate.schemaEnv;
  return guarded;
};
