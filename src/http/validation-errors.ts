import type { ErrorObject } from 'ajv';
import type { FieldError } from '../kit/errors.ts';

/*
 * Ajv's errors, as a client should read them: one `{path, message}` per field, in words.
 * - A union (`anyOf`/`oneOf`, e.g. a nullable number) that no branch matched by type gives one
 *   message naming every alternative ("must be a number or null"), not one error per branch plus
 *   "must match a schema in anyOf". When a branch matched the type but failed a rule of its own
 *   (19.999 against a number with multipleOf 0.01), that rule is the message.
 * - A field that breaks several rules gets them in one message, each once.
 * - Closed sets list their members: "must be one of: a, b, c".
 */

/** More entries than this help nobody and cost bytes; the first ones are kept. */
export const MAX_FIELD_ERRORS = 100;

const PART_NAMES: Record<string, string> = { querystring: 'query', params: 'path', headers: 'header', body: 'body' };

/** What a union branch, or a type/const/enum rule, would have accepted. */
interface Expected {
  types: string[];
  values: unknown[];
}

/** An error after unions are folded: Ajv's, or one made for a whole union. */
interface Issue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
  /** Set when the value was of the wrong kind altogether (type, const, enum, a union of those). */
  expected?: Expected;
}

const isUnion = (error: ErrorObject) => error.keyword === 'anyOf' || error.keyword === 'oneOf';

function expectedOf(error: ErrorObject): Expected | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'type') {
    const types = Array.isArray(params.type) ? (params.type as string[]) : String(params.type).split(',');
    return { types, values: [] };
  }
  if (error.keyword === 'const') return { types: [], values: [params.allowedValue] };
  if (error.keyword === 'enum') return { types: [], values: params.allowedValues as unknown[] };
  return undefined;
}

const toIssue = (error: ErrorObject): Issue => ({
  instancePath: error.instancePath,
  keyword: error.keyword,
  params: error.params as Record<string, unknown>,
  message: error.message ?? 'is not valid',
  expected: expectedOf(error),
});

/** The branch number of `error` inside `union`, or undefined when it is not inside it. */
function branchOf(error: ErrorObject, union: ErrorObject): string | undefined {
  if (!error.schemaPath.startsWith(`${union.schemaPath}/`) || !error.instancePath.startsWith(union.instancePath)) return undefined;
  return error.schemaPath.slice(union.schemaPath.length + 1).split('/')[0];
}

/** Replace each outermost union's errors (its branches' and its own) by what they mean together. */
function foldUnions(errors: ErrorObject[]): Issue[] {
  const unions = errors.filter((error) => isUnion(error) && !errors.some((outer) => outer !== error && isUnion(outer) && branchOf(error, outer) !== undefined));
  const inBranch = (error: ErrorObject) => unions.some((union) => branchOf(error, union) !== undefined);
  const issues: Issue[] = [];
  for (const error of errors) {
    if (unions.includes(error)) issues.push(...foldUnion(error, errors));
    else if (!inBranch(error)) issues.push(toIssue(error));
  }
  return issues;
}

function foldUnion(union: ErrorObject, errors: ErrorObject[]): Issue[] {
  const branches = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    const branch = branchOf(error, union);
    if (branch !== undefined) branches.set(branch, [...(branches.get(branch) ?? []), error]);
  }
  // oneOf that matched twice: there is no branch error to explain it.
  if (branches.size === 0) return [toIssue(union)];

  const folded = [...branches.values()].map(foldUnions);
  const wrongKind = (issues: Issue[]) => issues.every((issue) => issue.expected && issue.instancePath === union.instancePath);
  // A branch that accepted the kind of value but not the value itself says what is wrong with it.
  const nearest = folded.find((issues) => !wrongKind(issues));
  if (nearest) return nearest;

  const expected: Expected = { types: [], values: [] };
  for (const issue of folded.flat()) {
    expected.types.push(...issue.expected!.types);
    expected.values.push(...issue.expected!.values);
  }
  return [{ instancePath: union.instancePath, keyword: union.keyword, params: {}, message: mustBe(expected), expected }];
}

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** "a, b or c" */
function orList(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function mustBe({ types, values }: Expected): string {
  const kinds = orList([...new Set(types)].map((type) => TYPE_NOUNS[type] ?? type));
  const members = [...new Set(values.map(show))];
  if (members.length === 0) return `must be ${kinds}`;
  const list = members.length === 1 ? `must be ${members[0]}` : `must be one of: ${members.join(', ')}`;
  return kinds ? `${list}; or ${kinds}` : list;
}

const plural = (count: unknown, noun: string) => `${String(count)} ${noun}${count === 1 ? '' : 's'}`;

/** Ajv's message for a rule, in plainer words where Ajv's are awkward. */
function describe(issue: Issue): string {
  const { params } = issue;
  if (issue.expected) return mustBe(issue.expected);
  switch (issue.keyword) {
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${plural(params.limit, 'character')} long`;
    case 'maxLength':
      return `must be at most ${plural(params.limit, 'character')} long`;
    case 'minItems':
      return `must have at least ${plural(params.limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${plural(params.limit, 'item')}`;
    case 'minProperties':
      return `must have at least ${plural(params.limit, 'field')}`;
    case 'uniqueItems': {
      const [first, second] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
      return `must not repeat an item (items ${String(first)} and ${String(second)} are the same)`;
    }
    case 'format':
      return FORMAT_MESSAGES[String(params.format)] ?? issue.message;
    default:
      return issue.message;
  }
}

const FORMAT_MESSAGES: Record<string, string> = {
  'date-time': 'must be an RFC 3339 date-time, e.g. 2026-01-31T09:30:00Z',
  email: 'must be an email address',
  uri: 'must be an absolute URI',
};

function fieldPath(root: string, instancePath: string): string {
  let path = root;
  for (const segment of instancePath.split('/').slice(1)) {
    const name = segment.replaceAll('~1', '/').replaceAll('~0', '~');
    path += /^\d+$/.test(name) ? `[${name}]` : `.${name}`;
  }
  return path;
}

function toFieldError(issue: Issue, root: string): FieldError {
  const path = fieldPath(root, issue.instancePath);
  if (issue.keyword === 'additionalProperties') return { path: `${path}.${String(issue.params.additionalProperty)}`, message: 'is not a known field' };
  if (issue.keyword === 'required') return { path: `${path}.${String(issue.params.missingProperty)}`, message: 'is required' };
  return { path, message: describe(issue) };
}

/** Turn Ajv's errors into one `{path, message}` per field that names the field the client sent. */
export function toFieldErrors(errors: ErrorObject[], context: string | undefined): FieldError[] {
  const root = PART_NAMES[context ?? 'body'] ?? context ?? 'body';
  const messages = new Map<string, string[]>();
  for (const { path, message } of foldUnions(errors).map((issue) => toFieldError(issue, root))) {
    const seen = messages.get(path);
    if (!seen) messages.set(path, [message]);
    else if (!seen.includes(message)) seen.push(message);
  }
  return [...messages].slice(0, MAX_FIELD_ERRORS).map(([path, list]) => ({ path, message: list.join('; ') }));
}
