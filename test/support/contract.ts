// Checks a live response against what the OpenAPI document promises for its operation: the status
// is declared, the content type is one the status declares, the body validates against that
// content's schema, and every header the response declares as required is present and well formed.
// The contract and fuzz suites put every response they get through it.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Operation {
  method: HttpMethod;
  /** As the document writes it: `/api/v1/leads/{id}`. */
  path: string;
  definition: Json;
}

export interface ContractChecker {
  operations: Operation[];
  operation(method: HttpMethod, path: string): Operation;
  /** Every way `response` breaks the operation's contract; empty when it keeps it. */
  violations(method: HttpMethod, path: string, response: LightMyRequestResponse): string[];
}

const SCHEMA_ID = 'faro-openapi-components';

/** `#/components/schemas/X` becomes a reference into one schema that holds every component. */
function relocateRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relocateRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) return [key, `${SCHEMA_ID}${value}`];
      return [key, relocateRefs(value)];
    }),
  );
}

export function createContractChecker(document: Json): ContractChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  (addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020)(ajv);
  ajv.addSchema({ $id: SCHEMA_ID, components: relocateRefs(document.components) as Json });

  const resolve = (value: Json): Json => {
    if (typeof value?.$ref !== 'string') return value;
    return resolve(value.$ref.slice(2).split('/').reduce((node: Json, key: string) => node[key], document));
  };

  const operations: Operation[] = Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => ['get', 'post', 'patch', 'delete'].includes(method))
      .map(([method, definition]) => ({ method: method.toUpperCase() as HttpMethod, path, definition: definition as Json })),
  );

  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: Json): ValidateFunction => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(relocateRefs(schema) as Json);
      validators.set(key, validate);
    }
    return validate;
  };

  const operation = (method: HttpMethod, path: string): Operation => {
    const found = operations.find((op) => op.method === method && op.path === path);
    if (!found) throw new Error(`the document has no operation ${method} ${path}`);
    return found;
  };

  function declaredResponse(op: Operation, status: number): Json | undefined {
    const responses = op.definition.responses as Json;
    const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
    return declared === undefined ? undefined : resolve(declared);
  }

  function headerViolations(declared: Json, response: LightMyRequestResponse): string[] {
    const found: string[] = [];
    for (const [name, header] of Object.entries((declared.headers ?? {}) as Json)) {
      const definition = resolve(header as Json);
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) {
        if (definition.required) found.push(`required header ${name} is missing`);
        continue;
      }
      const schema = definition.schema ? resolve(definition.schema as Json) : undefined;
      if (schema?.type === 'integer' && !/^-?\d+$/.test(String(value))) found.push(`header ${name}: "${String(value)}" is not an integer`);
    }
    return found;
  }

  function bodyViolations(op: Operation, status: number, declared: Json, response: LightMyRequestResponse): string[] {
    const content = declared.content as Json | undefined;
    if (!content) return response.body === '' ? [] : [`${status} declares no body but the response has one`];
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
    const media = content[contentType] as Json | undefined;
    if (!media) return [`content type "${contentType}" is not one of ${Object.keys(content).join(', ')}`];
    if (!media.schema) return [];
    if (contentType === 'text/event-stream') return eventStreamViolations(response.body);
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [`the ${contentType} body is not JSON`];
    }
    const validate = validatorFor(`${op.method} ${op.path} ${status} ${contentType}`, media.schema as Json);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => `body${error.instancePath} ${error.message ?? 'is invalid'} (${error.schemaPath})`);
  }

  /** Server-Sent Events framing: every line a comment or a known field, messages ending in a blank line. */
  function eventStreamViolations(body: string): string[] {
    if (!body.endsWith('\n\n')) return ['the event stream does not end its last message with a blank line'];
    return body
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(':') && !/^(id|event|data|retry): /.test(line))
      .map((line) => `the event stream has a line that is neither a comment nor a field: "${line.slice(0, 80)}"`);
  }

  return {
    operations,
    operation,
    violations(method, path, response) {
      const op = operation(method, path);
      const status = response.statusCode;
      const declared = declaredResponse(op, status);
      if (!declared) return [`status ${status} is not declared (declared: ${Object.keys(op.definition.responses as Json).join(', ')}); body: ${response.body.slice(0, 300)}`];
      return [...headerViolations(declared, response), ...bodyViolations(op, status, declared, response)];
    },
  };
}
