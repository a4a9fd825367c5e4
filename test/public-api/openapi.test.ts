import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApp, type TestApp } from '../support/app.ts';
import { generateOpenApiDocument } from '../../src/cli/openapi-generate.ts';
import { summarizeDifferences } from '../../src/cli/openapi.ts';
import { toYaml } from '../../src/http/openapi.ts';
import { EVENT_CATALOG } from '../../src/domains/events/catalog.ts';
import { EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from '../../src/domains/events/event-types.ts';
import { PROBLEMS } from '../../src/kit/errors.ts';
import { SCOPE_DESCRIPTIONS, SCOPES } from '../../src/domains/api/auth-context.ts';
import { ENDPOINTS } from './support.ts';
import type { components } from '../../portal/src/api/public-api.gen.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Schemas = components['schemas'];

/**
 * The smallest valid body of every operation that takes one. `npm run typecheck` checks them
 * against the client openapi-typescript generates from api/openapi.yaml with its default options
 * (portal/src/api/public-api.gen.ts): a field with a server-side default that the generator turned
 * required (as a schema `default` does) fails the type-check.
 */
const MINIMAL_BODIES = {
  CreateLead: { location_id: 'loc_01jd5m0d9d6v3fw8p3n4q7r2s1', name: 'Kim' },
  UpdateLead: {},
  CreateWebhookSubscription: { url: 'https://hooks.example.com/faro', events: ['*'] },
  UpdateWebhookSubscription: {},
  WebhookRecoverRequest: { since: '2026-12-01T00:00:00.000Z' },
  WebhookTestRequest: {},
  TestEventRequest: { type: 'review.created' },
} satisfies { [Name in keyof Schemas]?: Schemas[Name] };

let t: TestApp;
let served: Json;
let generated: Json;

beforeAll(async () => {
  t = await createTestApp();
  const response = await t.app.inject({ url: '/api/v1/openapi.json' });
  expect(response.statusCode).toBe(200);
  served = response.json();
  generated = await generateOpenApiDocument();
});

afterAll(async () => t?.close());

function operations(document: Json): [string, string, Json][] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([method, op]) => [path, method, op as Json] as [string, string, Json]));
}

const resolve = (document: Json, value: Json): Json => {
  if (typeof value.$ref !== 'string') return value;
  return value.$ref
    .slice(2)
    .split('/')
    .reduce((node: Json, key: string) => node[key], document);
};

describe('serving', () => {
  it('/api/v1/openapi.json needs no credentials and equals the document generated without a database', async () => {
    const response = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['ratelimit']).toBeUndefined();
    // The same document, except that the instance lists its own base URL first ("Try it out").
    expect({ ...served, servers: generated.servers }).toEqual(generated);
    expect(served.servers).toEqual([
      { url: t.ctx.config.publicBaseUrl, description: 'This FARO instance (PUBLIC_BASE_URL)' },
      { url: 'https://api.faro.app', description: 'FARO production' },
      { url: '/', description: 'The FARO instance serving this document' },
    ]);
    expect(generated.servers[0]).toEqual({ url: 'https://api.faro.app', description: 'FARO production' });
    expect(served.openapi).toBe('3.1.0');
  });

  it('/docs is Swagger UI whose assets are all served by this process', async () => {
    const page = await t.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const references = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(references.length).toBeGreaterThan(3);
    for (const reference of references) {
      expect(reference).not.toMatch(/^(https?:)?\/\//);
      const asset = await t.app.inject({ url: new URL(reference, 'http://local/docs/').pathname });
      expect(asset.statusCode, reference).toBe(200);
    }
    // The UI loads the document from this process and never calls the online validator.
    const initializer = await t.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain("resolveUrl('./json')");
    expect(initializer.body).toContain('validatorUrl: null');
    const specification = await t.app.inject({ url: '/docs/json' });
    expect(specification.json()).toEqual(served);
  });

  it('YAML generation is deterministic', async () => {
    expect(toYaml(await generateOpenApiDocument())).toBe(toYaml(generated));
    expect(toYaml(generated)).not.toMatch(/&a\d|\*a\d/);
  });

  it('the check command summarises what drifted', () => {
    const changed = structuredClone(generated);
    delete changed.paths['/api/v1/reviews'];
    changed.components.schemas.Lead.description = 'edited';
    const lines = summarizeDifferences(toYaml(generated), toYaml(changed)).join('\n');
    expect(lines).toContain('- operation GET /api/v1/reviews');
    expect(lines).toContain('~ components.schemas Lead changed');
    expect(lines).toMatch(/first differing line: \d+/);
  });
});

describe('content', () => {
  it('only public /api/v1 operations are documented', () => {
    for (const path of Object.keys(served.paths)) expect(path).toMatch(/^\/api\/v1\//);
    expect(Object.keys(served.paths)).not.toContain('/api/v1/openapi.json');
    expect(JSON.stringify(served)).not.toMatch(/\/(admin|portal)\//);
  });

  it('declares the bearer scheme with the key format and every scope a key can carry', () => {
    const scheme = served.components.securitySchemes.bearerAuth;
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer', 'x-faro-scopes': SCOPE_DESCRIPTIONS });
    expect(scheme.description).toContain('faro_live_');
    for (const scope of SCOPES) expect(scheme.description).toContain(`\`${scope}\``);
  });

  it('declares its licence', () => {
    expect(served.info.license).toEqual({ name: expect.stringContaining('Proprietary'), identifier: expect.stringMatching(/^LicenseRef-[A-Za-z0-9.-]+$/) });
  });

  it('every operation is marked public, needs a bearer key, names its scope, and has id, summary and tags', () => {
    for (const [path, method, op] of operations(served)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op['x-faro-public'], where).toBe(true);
      expect(SCOPES, where).toContain(op['x-faro-scope']);
      // The scope is not a role name in the requirement: see publicOnly in src/http/openapi.ts.
      expect(op.security, where).toEqual([{ bearerAuth: [] }]);
      expect(op.description, where).toContain(`Requires the \`${op['x-faro-scope']}\` scope.`);
      expect(op.operationId, where).toBeTruthy();
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBeGreaterThan(0);
    }
  });

  it('the resource operations carry the scopes the routes enforce', () => {
    for (const endpoint of ENDPOINTS) {
      const path = endpoint.byId ? endpoint.byId.url('{id}') : endpoint.url({} as never);
      const op = served.paths[path]?.[endpoint.method.toLowerCase()];
      expect(op?.['x-faro-scope'], `${endpoint.method} ${path}`).toBe(endpoint.scope);
    }
  });

  it('every response of every operation documents its headers and errors', () => {
    for (const [path, method, op] of operations(served)) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      for (const status of ['400', '401', '403', '429']) expect(statuses, where).toContain(status);
      if (path.includes('{')) expect(statuses, where).toContain('404');
      for (const [status, raw] of Object.entries(op.responses as Json)) {
        const response = resolve(served, raw as Json);
        const headers = Object.keys(response.headers ?? {});
        expect(headers, `${where} ${status}`).toContain('Request-Id');
        if (status !== '401' && !status.startsWith('5')) {
          for (const header of ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
            expect(headers, `${where} ${status}`).toContain(header);
          }
        }
        if (/^[45]/.test(status)) {
          expect(Object.keys(response.content), `${where} ${status}`).toEqual(['application/problem+json']);
          expect(Object.keys(response.content['application/problem+json'].examples).length).toBeGreaterThan(0);
        }
      }
      expect(Object.keys(resolve(served, op.responses['429']).headers)).toContain('Retry-After');
    }
  });

  it('POST /leads documents Idempotency-Key and its 409/422 answers', () => {
    const op = served.paths['/api/v1/leads'].post;
    expect(op.parameters.map((p: Json) => p.name)).toContain('Idempotency-Key');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['201', '409', '413', '415', '422']));
    expect(Object.keys(op.responses['201'].headers)).toContain('Idempotent-Replayed');
  });

  // The 409s themselves are answered in management.happy (the 21st subscription) and
  // delivery-log (retry and recover on a disabled subscription).
  it('declares the 409 of the webhook operations that answer one: the subscription limit, redelivery on a disabled subscription', () => {
    const byId = Object.fromEntries(operations(served).map(([, , op]) => [op.operationId as string, op]));
    for (const id of ['createWebhookSubscription', 'retryWebhookDelivery', 'recoverWebhookDeliveries']) {
      expect(byId[id]!.responses['409'], id).toEqual({ $ref: '#/components/responses/Conflict' });
    }
    const conflict = served.components.responses.Conflict.content['application/problem+json'].examples;
    expect(Object.keys(conflict)).toEqual(['idempotency_key_in_progress', 'conflict']);
  });

  it('resource schemas are named components shared by the API and the webhooks', () => {
    expect(served.paths['/api/v1/reviews/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Review' });
    expect(served.components.schemas.ReviewCreatedEvent.properties.data).toEqual({ $ref: '#/components/schemas/Review' });
  });

  it('the webhooks section has one POST per event type with its payload and the Standard Webhooks headers', () => {
    expect(Object.keys(served.webhooks).sort()).toEqual(EVENT_CATALOG.map((entry) => entry.type).sort());
    for (const entry of EVENT_CATALOG) {
      const op = served.webhooks[entry.type].post;
      const schema = resolve(served, op.requestBody.content['application/json'].schema);
      expect(schema.properties.type.const).toBe(entry.type);
      expect(op.requestBody.content['application/json'].example).toEqual(entry.example);
      const headers = op.parameters.map((p: Json) => resolve(served, p).name);
      expect(headers).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    }
  });

  it('closed sets are enums, the same ones validation enforces', () => {
    const schemas = served.components.schemas;
    const subscribable = [...SUBSCRIBABLE_EVENT_TYPES, '*'];
    for (const name of ['CreateWebhookSubscription', 'UpdateWebhookSubscription', 'WebhookSubscription', 'WebhookSubscriptionWithSecret']) {
      expect(schemas[name].properties.events.items, name).toEqual({ type: 'string', enum: subscribable });
    }
    for (const name of ['WebhookDelivery', 'WebhookDeliveryDetail', 'WebhookTestRequest']) {
      expect(schemas[name].properties.event_type.enum, name).toEqual([...EVENT_TYPES]);
    }
    expect(schemas.WebhookEventType.properties.type.enum).toEqual([...EVENT_TYPES]);
    expect(schemas.Event.properties.type.enum).toEqual([...SUBSCRIBABLE_EVENT_TYPES]);
    expect(schemas.Problem.properties.code.enum).toEqual(Object.keys(PROBLEMS));
    const deliveries = served.paths['/api/v1/webhooks/{id}/deliveries'].get.parameters as Json[];
    expect(deliveries.find((p) => p.name === 'event_type')!.schema.enum).toEqual([...EVENT_TYPES]);
    // A union of literals is a closed set spelled so that generators and docs do not list it.
    const unionsOfLiterals: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((child, index) => walk(child, `${where}[${index}]`));
      if (typeof node !== 'object' || node === null) return;
      const anyOf = (node as Json).anyOf as Json[] | undefined;
      if (anyOf && anyOf.length > 1 && anyOf.every((member) => 'const' in member)) unionsOfLiterals.push(where);
      for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`);
    };
    walk(served, '');
    expect(unionsOfLiterals).toEqual([]);
    // Typed, so that no generator takes an enum for "any value".
    expect(schemas.Problem.properties.code.type).toBe('string');
    expect(deliveries.find((p) => p.name === 'status')!.schema.type).toBe('string');
  });

  it('the YAML form parses back to the same document', () => {
    expect(parse(toYaml(served))).toEqual(served);
  });
});

describe('a client generated with openapi-typescript defaults', () => {
  it('has a minimal body for every request body of the spec, holding exactly its required fields', () => {
    const bodies = new Set<string>();
    for (const item of Object.values(served.paths as Json)) {
      for (const operation of Object.values(item as Json)) {
        const ref = (operation as Json).requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
        if (ref) bodies.add(ref.split('/').at(-1)!);
      }
    }
    expect([...bodies].sort()).toEqual(Object.keys(MINIMAL_BODIES).sort());
    for (const [name, body] of Object.entries(MINIMAL_BODIES)) {
      const required = (served.components.schemas[name].required ?? []) as string[];
      expect(Object.keys(body).sort(), name).toEqual([...required].sort());
    }
  });

  it('no request body field carries a schema default (openapi-typescript would make it required)', () => {
    for (const name of Object.keys(MINIMAL_BODIES)) {
      const properties = served.components.schemas[name].properties as Record<string, Json>;
      expect(Object.entries(properties).filter(([, property]) => 'default' in property).map(([field]) => field), name).toEqual([]);
    }
  });
});
