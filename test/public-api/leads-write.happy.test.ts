import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import type { Lead } from '../../src/domains/leads/schemas.ts';
import { seedAgency, type Seeded } from './support.ts';

const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

async function convertedEvents(leadId: string) {
  const rows = await t.ctx.db.selectFrom('events').selectAll().where('agency_id', '=', seed.agency.id).where('type', '=', 'lead.converted').execute();
  return rows.filter((row) => (row.data as { id?: string }).id === leadId);
}

const create = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: seed.headers, payload });
const patch = (id: string, payload: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: `/api/v1/leads/${id}`, headers: seed.headers, payload });

describe('POST /leads', () => {
  it('creates a lead with defaults and returns it as GET does', async () => {
    const response = await create({ location_id: seed.locations[1], name: 'Kim', phone: '+15555550100', value: 99.5 });
    expect(response.statusCode, response.body).toBe(201);
    const lead = response.json<Lead>();
    expect(lead).toMatchObject({
      object: 'lead',
      location_id: seed.locations[1],
      name: 'Kim',
      phone: '+15555550100',
      email: null,
      source: 'api',
      status: 'new',
      value: 99.5,
      notes: '',
      converted_at: null,
      created_at: clock.now().toISOString(),
    });
    expect(lead.id).toMatch(/^lead_/);
    const fetched = await t.app.inject({ url: `/api/v1/leads/${lead.id}`, headers: seed.headers });
    expect(fetched.json()).toEqual(lead);
    expect(await convertedEvents(lead.id)).toHaveLength(0);
  });

  it('a lead created as converted raises lead.converted with the lead as data', async () => {
    const lead = (await create({ location_id: seed.locations[0], name: 'Lou', status: 'converted', value: 5000 })).json<Lead>();
    expect(lead.converted_at).toBe(clock.now().toISOString());
    const events = await convertedEvents(lead.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual(lead);
  });
});

describe('money values (multiples of 0.01 that binary floating point cannot hold exactly)', () => {
  const cents = [19.99, 1.15, 0.07, 0.29, 0.01, 4.35, 1234567.89, 9_999_999_999.99];

  it.each(cents)('POST and PATCH accept %s and return it exactly', async (value) => {
    const created = await create({ location_id: seed.locations[0], name: 'Cents', value });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json<Lead>().value).toBe(value);
    const patched = await patch(created.json<Lead>().id, { value });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json<Lead>().value).toBe(value);
  });

  it.each([1.005, 0.001, 19.999])('refuses %s, which is not a whole number of cents', async (value) => {
    const response = await create({ location_id: seed.locations[0], name: 'Fraction', value });
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toContain('body.value');
  });
});

describe('PATCH /leads/:id', () => {
  it('changes status, value and notes, and bumps updated_at', async () => {
    const lead = (await create({ location_id: seed.locations[0], name: 'Max' })).json<Lead>();
    clock.advance(5000);
    const response = await patch(lead.id, { status: 'qualified', value: 1500.25, notes: 'Wants a quote' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ ...lead, status: 'qualified', value: 1500.25, notes: 'Wants a quote', updated_at: clock.now().toISOString() });
    expect((await patch(lead.id, { value: null })).json<Lead>().value).toBeNull();
  });

  it('moving to converted raises lead.converted once, and leaving it clears converted_at', async () => {
    const lead = (await create({ location_id: seed.locations[0], name: 'Ned' })).json<Lead>();
    clock.advance(1000);
    const converted = (await patch(lead.id, { status: 'converted' })).json<Lead>();
    expect(converted.converted_at).toBe(clock.now().toISOString());
    expect(await patch(lead.id, { status: 'converted', notes: 'still converted' })).toMatchObject({ statusCode: 200 });
    const events = await convertedEvents(lead.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual(converted);

    const lost = (await patch(lead.id, { status: 'lost' })).json<Lead>();
    expect(lost).toMatchObject({ status: 'lost', converted_at: null });
  });

  it('an unknown lead is a 404', async () => {
    const response = await patch('lead_01jd5m0d9d6v3fw8p3n4q7r2s1', { notes: 'x' });
    expect(response.statusCode).toBe(404);
  });
});
