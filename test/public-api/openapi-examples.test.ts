import { beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { generateOpenApiDocument } from '../../src/cli/openapi-generate.ts';
import { EVENT_CATALOG } from '../../src/domains/events/catalog.ts';
import { EXAMPLE_DATA, EXAMPLE_RESOURCES } from '../../src/domains/events/catalog-examples.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let document: Json;

beforeAll(async () => {
  document = await generateOpenApiDocument();
});

function operations(section: Json): [string, Json][] {
  return Object.entries(section).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op as Json] as [string, Json]));
}

const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
/** Keywords whose value is data, not a schema: an example inside them is not walked into. */
const DATA_KEYWORDS = new Set(['examples', 'example', 'const', 'enum', 'default']);

interface Example {
  where: string;
  /** JSON pointer of the schema the value must match, in the document. */
  schema: string;
  value: unknown;
}

/**
 * Every example in the document with the schema it illustrates: `examples` of any schema (components,
 * properties, parameters), and `example` / `examples` of media types, parameters and headers.
 */
function collectExamples(root: Json): Example[] {
  const found: Example[] = [];
  const walk = (node: unknown, pointer: string, inSchema: boolean): void => {
    if (Array.isArray(node)) return node.forEach((child, index) => walk(child, `${pointer}/${index}`, inSchema));
    if (typeof node !== 'object' || node === null) return;
    const object = node as Json;
    if (inSchema && Array.isArray(object.examples)) {
      object.examples.forEach((value: unknown, index: number) => found.push({ where: `${pointer}/examples/${index}`, schema: pointer, value }));
    }
    if (!inSchema && object.schema) {
      if (object.example !== undefined) found.push({ where: `${pointer}/example`, schema: `${pointer}/schema`, value: object.example });
      for (const [name, example] of Object.entries((object.examples ?? {}) as Json)) {
        found.push({ where: `${pointer}/examples/${name}`, schema: `${pointer}/schema`, value: (example as Json).value });
      }
    }
    for (const [key, child] of Object.entries(object)) {
      const isData = inSchema ? DATA_KEYWORDS.has(key) : Boolean(object.schema) && (key === 'example' || key === 'examples');
      if (!isData) walk(child, `${pointer}/${escape(key)}`, inSchema || key === 'schema' || pointer === '#/components/schemas');
    }
  };
  walk(root, '#', false);
  return found;
}

/** The examples that do not validate against their schema, with Ajv's reasons. */
function invalidExamples(root: Json): string[] {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true, validateSchema: false }));
  ajv.addSchema(root, 'openapi');
  const failures: string[] = [];
  for (const example of collectExamples(root)) {
    const validate = ajv.compile({ $ref: `openapi${example.schema}` });
    if (!validate(example.value)) failures.push(`${example.where}: ${ajv.errorsText(validate.errors)}`);
  }
  return failures;
}

describe('examples in the OpenAPI document', () => {
  it('every operation shows an example of its request body and of each success body', () => {
    const missing: string[] = [];
    for (const [where, op] of [...operations(document.paths), ...operations(document.webhooks)]) {
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) {
        if ((media as Json).example === undefined) missing.push(`${where} request ${type}`);
      }
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (!status.startsWith('2')) continue;
        for (const [type, media] of Object.entries(((response as Json).content ?? {}) as Json)) {
          if ((media as Json).example === undefined) missing.push(`${where} ${status} ${type}`);
        }
      }
    }
    expect(missing).toEqual([]);
    // Bodies are there to be shown: 28 operations with a success body or a request body.
    expect(operations(document.paths).filter(([, op]) => op.requestBody || Object.values(op.responses as Json).some((r) => (r as Json).content)).length).toBeGreaterThanOrEqual(28);
  });

  it('every component schema carries an example', () => {
    const schemas = document.components.schemas as Json;
    expect(Object.entries(schemas).filter(([, schema]) => !(schema.examples?.length > 0)).map(([name]) => name)).toEqual([]);
  });

  it('every example validates against its own schema', () => {
    const examples = collectExamples(document);
    // Components, properties, bodies, parameters, headers and problem examples are all collected.
    expect(examples.length).toBeGreaterThan(150);
    expect(examples.some((e) => e.where.startsWith('#/components/responses/'))).toBe(true);
    expect(examples.some((e) => e.where.startsWith('#/components/headers/'))).toBe(true);
    expect(examples.some((e) => /\/parameters\/\d+\/example$/.test(e.where))).toBe(true);
    expect(invalidExamples(document)).toEqual([]);
  });

  it('a drifted example is caught, in a component and in a body', () => {
    // Through JSON: the generated document shares one object between a component and its bodies.
    const drifted = JSON.parse(JSON.stringify(document)) as Json;
    drifted.components.schemas.Lead.examples[0].status = 'won';
    drifted.paths['/api/v1/leads'].post.requestBody.content['application/json'].example.value = '19.999';
    const failures = invalidExamples(drifted);
    expect(failures).toEqual([
      expect.stringMatching(/^#\/paths\/~1api~1v1~1leads\/post\/requestBody\/content\/application~1json\/example: .*value/),
      expect.stringMatching(/^#\/components\/schemas\/Lead\/examples\/0: .*status must be equal to one of the allowed values/),
    ]);
  });

  it('examples come from the one catalogue: resources as they are, lists, bodies and events made of them', () => {
    const schemas = document.components.schemas as Json;
    const example = (name: string) => schemas[name].examples[0];
    expect(example('Lead')).toEqual(EXAMPLE_RESOURCES.lead);
    expect(example('Location')).toEqual(EXAMPLE_RESOURCES.location);
    expect(example('WebhookSubscription')).toEqual(EXAMPLE_RESOURCES.webhook_subscription);
    for (const [name, schema] of Object.entries(schemas)) {
      const item = schema.properties?.data?.items?.$ref?.split('/').at(-1) as string | undefined;
      if (name.endsWith('List') && item) expect(example(name).data, name).toEqual([example(item)]);
    }
    for (const [body, resource] of [['CreateLead', 'Lead'], ['UpdateLead', 'Lead'], ['CreateWebhookSubscription', 'WebhookSubscription'], ['UpdateWebhookSubscription', 'WebhookSubscription']]) {
      expect(example(resource!), body).toMatchObject(example(body!));
    }
    for (const entry of EVENT_CATALOG) {
      expect(document.webhooks[entry.type].post.requestBody.content['application/json'].example.data).toEqual(EXAMPLE_DATA[entry.type]);
    }
    expect(example('ReviewCreatedEvent').data).toEqual(example('Review'));
    // A body shows its schema's example.
    expect(document.paths['/api/v1/leads/{id}'].get.responses['200'].content['application/json'].example).toEqual(example('Lead'));
    expect(document.paths['/api/v1/leads'].post.requestBody.content['application/json'].example).toEqual(example('CreateLead'));
  });
});
