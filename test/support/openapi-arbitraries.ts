// fast-check arbitraries for requests an OpenAPI document describes: values that fit a parameter
// or body schema most of the time, and the near misses and junk clients really send the rest of
// the time (wrong types, empty strings, huge numbers, unknown fields, other tenants' ids).
import fc from 'fast-check';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ArbitraryContext {
  /** Resolves a `$ref` of the document (or returns the value). */
  resolve(value: Json): Json;
  /** Real ids the generated values may use, by id prefix (`loc`, `lead`, ...). */
  ids: Record<string, readonly string[]>;
  /** URLs a webhook may name, some allowed and some refused. */
  urls: readonly string[];
  /** Values for body fields of these names, where the schema alone would almost never hit a valid one. */
  fields?: Record<string, fc.Arbitrary<unknown>>;
}

const JUNK: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '9'.repeat(40), '-1', 'null', 'true', '%', '../../etc/passwd', '\u{1F600}'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

/** An id in the shape of `pattern` (`^loc_...$`) when one is known, else a string of that prefix. */
function idLike(context: ArbitraryContext, pattern: string | undefined): fc.Arbitrary<string> | undefined {
  const prefix = pattern && /^\^([a-z]+)_/.exec(pattern)?.[1];
  if (!prefix) return undefined;
  const known = context.ids[prefix] ?? [];
  const made = fc.stringMatching(new RegExp(pattern));
  return known.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, { arbitrary: made, weight: 1 }) : made;
}

/** Values that fit `schema` (mostly: formats and bounds are approximated). */
export function fitting(schema: Json, context: ArbitraryContext, name = ''): fc.Arbitrary<unknown> {
  schema = context.resolve(schema);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if (schema.const !== undefined) return fc.constant(schema.const);
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (union) return fc.oneof(...union.map((member) => fitting(member, context, name)));
  const type = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (type.length > 1) return fc.oneof(...type.map((one: string) => fitting({ ...schema, type: one }, context, name)));
  switch (type[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: Math.min(schema.maximum ?? 10_000, 2 ** 31) });
    case 'number':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? 0, max: 100_000 }).map((cents) => cents / 100),
        fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e12, noNaN: true }),
      );
    case 'array':
      return fc.array(fitting(schema.items ?? {}, context, name), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object':
      return objectFitting(schema, context);
    case 'string':
      return stringFitting(schema, context, name);
    default:
      return JUNK;
  }
}

function stringFitting(schema: Json, context: ArbitraryContext, name: string): fc.Arbitrary<string> {
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'uri' || name === 'url') return fc.constantFrom(...context.urls);
  const id = idLike(context, schema.pattern as string | undefined);
  if (id) return id;
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern as string));
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

function objectFitting(schema: Json, context: ArbitraryContext): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Json;
  const record = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, context.fields?.[key] ?? fitting(value as Json, context, key)]));
  return fc.record(record, { requiredKeys: (schema.required ?? []) as string[] });
}

/** Fitting values, and junk of any type one time in nine. */
export function plausible(schema: Json, context: ArbitraryContext, name = ''): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: fitting(schema, context, name), weight: 8 }, { arbitrary: JUNK, weight: 1 });
}

/** A request body for `schema`: fitting, one field off, an unknown field, or not an object at all. */
export function bodyFor(schema: Json, context: ArbitraryContext): fc.Arbitrary<unknown> {
  const resolved = context.resolve(schema);
  const fits = fitting(resolved, context);
  const properties = Object.keys((resolved.properties ?? {}) as Json);
  const oneFieldOff =
    properties.length === 0
      ? fits
      : fc.tuple(fits, fc.constantFrom(...properties), JUNK).map(([body, key, junk]) => ({ ...(body as object), [key]: junk }));
  return fc.oneof(
    { arbitrary: fits, weight: 4 },
    { arbitrary: oneFieldOff, weight: 3 },
    { arbitrary: fc.tuple(fits, fc.string({ minLength: 1, maxLength: 12 }), JUNK).map(([body, key, junk]) => ({ ...(body as object), [key]: junk })), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  );
}
