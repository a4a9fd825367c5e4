import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedPglite } from '../../src/db/pglite.ts';
import { wrapPglite } from '../../src/db/database.ts';
import { DEMO_AGENCY_NAME, DEMO_EMAIL } from '../../src/domains/simulation/demo-seed.ts';
import { cleanUpProcesses, startProcess, stopProcess, tempDataDir, waitReady, type ServiceProcess } from './service-process.ts';

// PGlite only: real processes on an embedded data dir (they never see TEST_DATABASE_URL).
afterEach(cleanUpProcesses);

async function demoLogin(service: ServiceProcess, password: string) {
  const response = await fetch(`${service.url}/portal/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_EMAIL, password }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { agency: { id: string; name: string; tier: string } };
}

describe('a second start on the same data dir', () => {
  it('reuses the data: same admin token, same demo agency, no second one', async () => {
    const dataDir = tempDataDir();
    const first = await startProcess({ dataDir, env: { FARO_DEMO: 'on' } });
    await waitReady(first);
    expect(first.stdout()).toContain('(demo agency created)');
    const password = fs.readFileSync(path.join(dataDir, 'demo-password'), 'utf8').trim();
    expect(first.stdout()).toContain(`${DEMO_EMAIL} / ${password}`);
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    expect(first.stdout()).toContain(token);
    const { agency } = await demoLogin(first, password);
    expect(agency).toMatchObject({ name: DEMO_AGENCY_NAME, tier: 'scale' });
    expect((await stopProcess(first)).code).toBe(0);

    const second = await startProcess({ dataDir, env: { FARO_DEMO: 'on' } });
    await waitReady(second);
    expect(second.stdout()).not.toContain('(demo agency created)');
    expect(second.stdout()).toContain(`${DEMO_EMAIL} / ${password}`);
    expect(second.stdout()).toContain(token);
    expect((await demoLogin(second, password)).agency.id).toBe(agency.id);
    const read = await fetch(`${second.url}/admin/v1/agencies/${agency.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    expect((await stopProcess(second, 'SIGINT')).code).toBe(0);

    // Read the data dir back directly: one agency, one demo user, three locations.
    const embedded = await openEmbeddedPglite(dataDir);
    const database = wrapPglite(embedded.pglite, embedded.close);
    try {
      const agencies = await database.db.selectFrom('agencies').select(['id', 'name']).execute();
      expect(agencies).toEqual([{ id: agency.id, name: DEMO_AGENCY_NAME }]);
      const users = await database.db.selectFrom('users').select('email').execute();
      expect(users).toEqual([{ email: DEMO_EMAIL }]);
      expect(await database.db.selectFrom('locations').select('id').execute()).toHaveLength(3);
    } finally {
      await database.close();
    }
  }, 240_000);
});
