import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../kit/errors.ts';
import { isMultipleOf } from '../lib/decimal.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    // Unknown fields are an error, never silently dropped (schemas say additionalProperties: false).
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerceTypes ? 'array' : false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  // Ajv's multipleOf divides in floating point and refuses 19.99 as a multiple of 0.01.
  ajv.removeKeyword('multipleOf');
  ajv.addKeyword({
    keyword: 'multipleOf',
    type: 'number',
    schemaType: 'number',
    error: { message: ({ schemaCode }) => `must be multiple of ${String(schemaCode)}` },
    validate: (divisor: number, value: number) => isMultipleOf(value, divisor),
  });
  return ajv;
}

// Query strings, params and headers arrive as text and need coercion ("25" → 25); JSON bodies
// must carry the right types, so `"rating": "5"` is a 400 rather than a silent conversion.
const coercing = makeAjv(true);
const strict = makeAjv(false);

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
  const ajv = httpPart === 'body' ? strict : coercing;
  const validate = ajv.compile(schema as object) as ValidateFunction;
  const guarded = (data: unknown, context?: object) => {
    if (hasNul(data)) {
      guarded.errors = nulErrors(data);
      return false;
    }
    const valid = validate(data, context as never);
    guarded.errors = validate.errors ?? null;
    return valid;
  };
  guarded.errors = null as ErrorObject[] | null;
  // Fastify passes the parent object when this is set, so Ajv can replace a coerced root value.
  guarded.schemaEnv = validate.schemaEnv;
  return guarded;
};

const PART_NAMES: Record<string, string> = { querystring: 'query', params: 'path', headers: 'header', body: 'body' };

/** Turn Ajv's errors into `{path, message}` pairs that name the field the client sent. */
export function toFieldErrors(errors: ErrorObject[], context: string | undefined): FieldError[] {
  const root = PART_NAMES[context ?? 'body'] ?? context ?? 'body';
  return errors.map((error) => {
    const segments = error.instancePath
      .split('/')
      .slice(1)
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
    let path = root;
    for (const segment of segments) path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'additionalProperties') {
      return { path: `${path}.${String(params.additionalProperty)}`, message: 'is not a known field' };
    }
    if (error.keyword === 'required') {
      return { path: `${path}.${String(params.missingProperty)}`, message: 'is required' };
    }
    return { path, message: error.message ?? 'is not valid' };
  });
}
