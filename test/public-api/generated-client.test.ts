import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../portal/src/api/public-api.gen.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

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
} satisfies { [Name in keyof Schemas]?: Schemas[Name] };

let t: TestApp;
let spec: Json;
beforeAll(async () => {
  t = await createTestApp();
  spec = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
});
afterAll(async () => t?.close());

describe('a client generated with openapi-typescript defaults', () => {
  it('has a minimal body for every request body of the spec, holding exactly its required fields', () => {
    const bodies = new Set<string>();
    for (const item of Object.values(spec.paths as Json)) {
      for (const operation of Object.values(item as Json)) {
        const ref = (operation as Json).requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
        if (ref) bodies.add(ref.split('/').at(-1)!);
      }
    }
    expect([...bodies].sort()).toEqual(Object.keys(MINIMAL_BODIES).sort());
    for (const [name, body] of Object.entries(MINIMAL_BODIES)) {
      const required = (spec.components.schemas[name].required ?? []) as string[];
      expect(Object.keys(body).sort(), name).toEqual([...required].sort());
    }
  });

  it('no request body field carries a schema default (openapi-typescript would make it required)', () => {
    for (const name of Object.keys(MINIMAL_BODIES)) {
      const properties = spec.components.schemas[name].properties as Record<string, Json>;
      expect(Object.entries(properties).filter(([, property]) => 'default' in property).map(([field]) => field), name).toEqual([]);
    }
  });
});
