import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { isId, type IdPrefix } from '../../lib/ids.ts';
import { buildEventPayload, buildSamplePayload, EVENT_CATALOG, catalogEntry } from './catalog.ts';
import { EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from './event-types.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false }));

describe('event catalog', () => {
  it('covers the five product events, the four operational events and the test ping, in order', () => {
    expect(EVENT_CATALOG.map((e) => e.type)).toEqual([...EVENT_TYPES]);
    expect(SUBSCRIBABLE_EVENT_TYPES).toEqual([
      'conversation.created', 'message.received', 'review.created', 'lead.converted', 'sync.failed',
      'faro.endpoint.disabled', 'faro.endpoint.failing', 'faro.api_key.expiring', 'faro.rate_limit.approaching',
    ]);
    expect(EVENT_CATALOG.map((e) => (e.schema as { title: string }).title)).toEqual([
      'ConversationCreatedEvent', 'MessageReceivedEvent', 'ReviewCreatedEvent', 'LeadConvertedEvent', 'SyncFailedEvent',
      'FaroEndpointDisabledEvent', 'FaroEndpointFailingEvent', 'FaroApiKeyExpiringEvent', 'FaroRateLimitApproachingEvent', 'WebhookTestEvent',
    ]);
  });

  it.each(EVENT_CATALOG.map((e) => [e.type, e] as const))('%s: the example is valid, well-formed ids included', (_type, entry) => {
    const validate = ajv.compile(entry.schema);
    expect(validate(entry.example), JSON.stringify(validate.errors)).toBe(true);
    expect((entry.schema as { examples: unknown[] }).examples).toEqual([entry.example]);
    expect(isId('evt', entry.example.id)).toBe(true);
    expect(isId('agy', entry.example.agency_id)).toBe(true);
    const dataId = String(entry.example.data.id ?? entry.example.data.alert_id ?? entry.example.data.subscription_id);
    expect(isId(dataId.split('_')[0] as IdPrefix, dataId)).toBe(true);
  });

  it('rejects an envelope whose type does not match', () => {
    const validate = ajv.compile(catalogEntry('review.created').schema);
    expect(validate({ ...catalogEntry('review.created').example, type: 'lead.converted' })).toBe(false);
  });

  it('builds the webhook body of an event: exact JSON, keys in the documented order', () => {
    const body = buildEventPayload({
      id: 'evt_01jd5q7h3kd5f7h9k1m3n5q7s9',
      type: 'review.created',
      agency_id: 'agy_01jd5kz8q4n2c7v9w3x5y6z8a0',
      livemode: false,
      created_at: new Date('2026-03-14T15:09:26.535Z'),
      data: { id: 'rev_1', rating: 5 },
    });
    expect(body).toBe(
      '{"id":"evt_01jd5q7h3kd5f7h9k1m3n5q7s9","type":"review.created","timestamp":"2026-03-14T15:09:26.535Z","agency_id":"agy_01jd5kz8q4n2c7v9w3x5y6z8a0","livemode":false,"data":{"id":"rev_1","rating":5}}',
    );
  });

  it('builds samples for test sends: valid, fresh ids, the given time, agency and mode', () => {
    const at = new Date('2027-01-02T03:04:05.678Z');
    for (const [index, type] of EVENT_TYPES.entries()) {
      const livemode = index % 2 === 0;
      const sample = buildSamplePayload(type, { agencyId: 'agy_01jd5kz8q4n2c7v9w3x5y6z8a1', livemode, subscriptionId: 'whsub_01jd5kz8q4n2c7v9w3x5y6z8a2', at });
      const payload = JSON.parse(sample.body) as { id: string; timestamp: string; agency_id: string; data: Record<string, unknown> };
      const entry = catalogEntry(type);
      const validate = ajv.compile(entry.schema);
      expect(validate(payload), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(payload.id).toBe(sample.id);
      expect(payload.id).not.toBe(entry.example.id);
      expect(payload).toMatchObject({ timestamp: at.toISOString(), agency_id: 'agy_01jd5kz8q4n2c7v9w3x5y6z8a1', livemode });
      if (type === 'webhook.test') {
        expect(payload.data.subscription_id).toBe('whsub_01jd5kz8q4n2c7v9w3x5y6z8a2');
      } else if (type.startsWith('faro.')) {
        expect(isId('alert', String(payload.data.alert_id))).toBe(true);
        expect(payload.data.alert_id).not.toBe(entry.example.data.alert_id);
        if (type.startsWith('faro.endpoint.')) expect(payload.data.subscription_id).toBe('whsub_01jd5kz8q4n2c7v9w3x5y6z8a2');
      } else {
        expect(payload.data.id).not.toBe(entry.example.data.id);
        expect(payload.data.created_at).toBe(at.toISOString());
      }
    }
  });
});
