import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from './errors.ts';

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
  return ajv;
}

// Query strings, params and headers arrive as text and need coercion ("25" → 25); JSON bodies
// must carry the right types, so `"rating": "5"` is a 400 rather than a silent conversion.
const coercing = makeAjv(true);
const strict = makeAjv(false);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema as object) as ValidateFunction;
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
