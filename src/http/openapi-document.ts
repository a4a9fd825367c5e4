import { ProblemSchema } from './problem-schema.ts';
import { SCHEMA_EXAMPLES } from './openapi-examples.ts';
import { ERROR_RESPONSES, HEADER_COMPONENTS, RATE_LIMIT_HEADER_NAMES, SECURITY_SCHEMES, TAG_DESCRIPTIONS, errorResponsesFor, headerRefs } from './openapi-components.ts';

/*
 * Turns what @fastify/swagger derives from the routes into the published document: error
 * responses and rate-limit headers on every public operation, named schemas moved into
 * `components` with their examples, every request and success body given its schema's example,
 * the webhook event catalog merged in, and every map in a fixed order so the generated YAML only
 * changes when the API does.
 */

type Json = Record<string, unknown>;
type Operation = Json & { parameters?: Json[]; requestBody?: Json; responses?: Record<string, Json> };

export interface WebhookEventDoc {
  type: string;
  description: string;
  schema: object;
  example?: unknown;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'options', 'head', 'trace'];
const SCHEMA_CHILD_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SCHEMA_CHILD_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_CHILDREN = ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames'];

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON with sorted keys: equal for schemas that differ only in key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  return JSON.stringify(value);
}

const refName = (schema: unknown) => (isObject(schema) && typeof schema.$ref === 'string' ? schema.$ref.split('/').at(-1) : undefined);

/**
 * A named schema's example: its own, the catalogue's for its title, or, for a page of a list,
 * a last page holding the example of its item (named before the page, as children are hoisted first).
 */
function exampleOf(schema: Json, title: string, named: Record<string, Json>): unknown {
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (title in SCHEMA_EXAMPLES) return SCHEMA_EXAMPLES[title];
  const properties = isObject(schema.properties) ? schema.properties : {};
  const items = isObject(properties.data) ? properties.data.items : undefined;
  const item = named[refName(items) ?? ''];
  if (!('has_more' in properties && 'next_cursor' in properties) || !Array.isArray(item?.examples)) return undefined;
  return { data: [item.examples[0]], has_more: false, next_cursor: null };
}

/**
 * Move every schema with a `title` into `components.schemas` under that title, with its example,
 * and refer to it. Two different schemas under one title cannot both be named: the later one stays inline.
 */
function createHoister(named: Record<string, Json>) {
  const hoist = (schema: unknown): unknown => {
    if (!isObject(schema) || typeof schema.$ref === 'string') return schema;
    const out: Json = { ...schema };
    for (const key of SCHEMA_CHILD_MAPS) {
      if (isObject(out[key])) out[key] = Object.fromEntries(Object.entries(out[key]).map(([name, child]) => [name, hoist(child)]));
    }
    for (const key of SCHEMA_CHILD_LISTS) if (Array.isArray(out[key])) out[key] = out[key].map(hoist);
    for (const key of SCHEMA_CHILDREN) if (isObject(out[key])) out[key] = hoist(out[key]);
    const title = out.title;
    if (typeof title !== 'string' || !/^[A-Za-z0-9._-]+$/.test(title)) return out;
    const example = exampleOf(out, title, named);
    if (example !== undefined) out.examples = [example];
    const existing = named[title];
    if (existing && canonical(existing) !== canonical(out)) return out;
    named[title] = out;
    return { $ref: `#/components/schemas/${title}` };
  };
  /** The example a body shows: its schema's (the named one it refers to, or its own). */
  const exampleFor = (schema: unknown): unknown => {
    const resolved = named[refName(schema) ?? ''] ?? schema;
    return isObject(resolved) && Array.isArray(resolved.examples) ? resolved.examples[0] : undefined;
  };
  /**
   * A copy of a `content` map with its schemas hoisted and each body given its schema's example
   * (@fastify/swagger's cached object stays as it was).
   */
  const hoistContent = (content: unknown) => {
    if (!isObject(content)) return content;
    return Object.fromEntries(
      Object.entries(content).map(([type, media]) => {
        if (!isObject(media) || !media.schema) return [type, media];
        const schema = hoist(media.schema);
        const example = media.example ?? exampleFor(schema);
        return [type, { ...media, schema, ...(example === undefined ? {} : { example }) }];
      }),
    );
  };
  return { hoist, hoistContent };
}

function publicOperation(path: string, operation: Operation, hoister: ReturnType<typeof createHoister>): Operation {
  const scope = operation['x-faro-scope'];
  const idempotent = (operation.parameters ?? []).some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key');
  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (/^[45]XX$/.test(status)) continue;
    const extra = status === '201' && idempotent ? ['Idempotent-Replayed'] : [];
    // @fastify/swagger describes a response by its schema's description, or "Default Response".
    const schema = (response.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined;
    const generic = response.description === 'Default Response' || response.description === schema?.description;
    const content = hoister.hoistContent(response.content);
    // A problem status the route declares (ConflictResponse) is the shared component, examples and all.
    const component = errorResponsesFor({ path: '{declared}', hasBody: true, idempotent: true })[status];
    if (/^4\d\d$/.test(status) && component) {
      responses[status] = component;
      continue;
    }
    responses[status] = /^[23]/.test(status)
      ? {
          ...response,
          ...(content ? { content } : {}),
          description: generic ? successDescription(status, schema) : response.description,
          headers: { ...(response.headers as Json), ...headerRefs(['Request-Id', ...RATE_LIMIT_HEADER_NAMES, 'Faro-Mode', ...extra]) },
        }
      : { ...response, ...(content ? { content } : {}) };
  }
  for (const [status, ref] of Object.entries(errorResponsesFor({ path, hasBody: Boolean(operation.requestBody), idempotent }))) {
    responses[status] ??= ref;
  }
  const requestBody = operation.requestBody && { ...operation.requestBody, content: hoister.hoistContent(operation.requestBody.content) };
  const parameters = operation.parameters?.map((p) => (p.in === 'header' ? { ...p, name: canonicalHeaderName(String(p.name)) } : p));
  const scopeNote = typeof scope === 'string' ? `Requires the \`${scope}\` scope.` : '';
  const description = [operation.description, scopeNote].filter(Boolean).join('\n\n');
  return { ...operation, ...(requestBody ? { requestBody } : {}), ...(parameters ? { parameters } : {}), ...(description ? { description } : {}), responses: sortStatuses(responses) };
}

/** Route schemas must spell headers in lower case (that is how Node delivers them); docs show `Idempotency-Key`. */
const canonicalHeaderName = (name: string) => name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());

const STATUS_TEXT: Record<string, string> = { '200': 'OK.', '201': 'Created; the body is the new resource.', '202': 'Accepted: the work happens in the background.', '204': 'Done; no content.' };

/** Say what the response is rather than repeat what its schema says. */
function successDescription(status: string, schema: Json | undefined): string {
  const isPage = isObject(schema?.properties) && 'has_more' in schema.properties && 'next_cursor' in schema.properties;
  if (isPage) return 'One page of the list, newest first.';
  return STATUS_TEXT[status] ?? 'Success.';
}

function sortStatuses(responses: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

const WEBHOOK_HEADERS = {
  'webhook-id': {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The event id; identical on every retry of this event, so use it to drop duplicates.',
    schema: { type: 'string' },
    example: 'evt_01jd5q7h3kd5f7h9k1m3n5q7s9',
  },
  'webhook-timestamp': {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix time (seconds) of this attempt. Reject requests older than a few minutes to stop replays.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
    example: '1773500966',
  },
  'webhook-signature': {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")>` signatures ' +
      '(two while a rotated secret is in its 24 h grace period). Verify with any Standard Webhooks library.',
    schema: { type: 'string' },
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  },
};

function webhookOperation(event: WebhookEventDoc, hoister: ReturnType<typeof createHoister>): Operation {
  const schema = event.schema as Json;
  const operationId = `${event.type.replace(/[._](\w)/g, (_m, c: string) => c.toUpperCase())}Webhook`;
  return {
    operationId,
    summary: event.type,
    description: `${event.description}\n\nSigned per Standard Webhooks; retried with exponential backoff until your endpoint answers 2xx.`,
    tags: ['Webhook events'],
    security: [],
    parameters: Object.keys(WEBHOOK_HEADERS).map((name) => ({ $ref: `#/components/parameters/${name}` })),
    requestBody: {
      required: true,
      content: { 'application/json': { schema: hoister.hoist(schema), ...(event.example === undefined ? {} : { example: event.example }) } },
    },
    responses: {
      '2XX': { description: 'Any 2xx acknowledges the event; the body is ignored.' },
      '410': { description: 'Gone: FARO disables the subscription and stops sending to it.' },
      default: { description: 'Any other status, a timeout or a redirect is a failure: FARO retries later.' },
    },
  };
}

/** Keywords whose value is data (an example, a literal), not a schema to rewrite. */
const DATA_KEYWORDS = new Set(['example', 'examples', 'const', 'enum', 'default']);

/**
 * A copy in which every enum of strings also says `type: string` (TypeBox's `Type.Enum` leaves it
 * implied): some client generators turn an untyped enum into "any value".
 */
function typedEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(typedEnums);
  if (!isObject(node)) return node;
  const out = Object.fromEntries(Object.entries(node).map(([key, child]) => [key, DATA_KEYWORDS.has(key) ? child : typedEnums(child)]));
  const untypedStrings = Array.isArray(node.enum) && node.type === undefined && node.enum.every((value) => typeof value === 'string');
  return untypedStrings ? { type: 'string', ...out } : out;
}

const sortKeys = <T>(map: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.keys(map).sort().map((key) => [key, map[key]!]));

/** The published document from @fastify/swagger's output and the webhook event catalog. */
export function finishDocument(generated: Json, events: readonly WebhookEventDoc[]): Json {
  const named: Record<string, Json> = { Problem: { ...(JSON.parse(JSON.stringify(ProblemSchema)) as Json), examples: [SCHEMA_EXAMPLES.Problem] } };
  const hoister = createHoister(named);
  const paths: Record<string, Json> = {};
  const usedTags = new Set<string>();

  for (const path of Object.keys((generated.paths ?? {}) as Json).sort()) {
    const item = (generated.paths as Record<string, Json>)[path]!;
    const operations: Json = {};
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      for (const tag of (operation.tags as string[] | undefined) ?? []) usedTags.add(tag);
      operations[method] = operation['x-faro-public'] ? publicOperation(path, operation, hoister) : operation;
    }
    paths[path] = operations;
  }

  const webhooks: Json = {};
  for (const event of [...events].sort((a, b) => a.type.localeCompare(b.type))) {
    webhooks[event.type] = { post: webhookOperation(event, hoister) };
    usedTags.add('Webhook events');
  }

  const known = Object.keys(TAG_DESCRIPTIONS).filter((tag) => usedTags.has(tag));
  const others = [...usedTags].filter((tag) => !(tag in TAG_DESCRIPTIONS)).sort();
  const tags = [...known.map((name) => ({ name, description: TAG_DESCRIPTIONS[name] })), ...others.map((name) => ({ name }))];

  const generatedComponents = (generated.components ?? {}) as Record<string, Json | undefined>;
  return typedEnums({
    openapi: generated.openapi,
    info: generated.info,
    servers: generated.servers,
    tags,
    paths,
    ...(events.length > 0 ? { webhooks } : {}),
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: sortKeys({ ...(generatedComponents.schemas ?? {}), ...named }),
      ...(events.length > 0 ? { parameters: WEBHOOK_HEADERS } : {}),
      headers: HEADER_COMPONENTS,
      responses: ERROR_RESPONSES,
    },
  }) as Json;
}
