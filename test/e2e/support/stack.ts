// The system under test for one e2e file: the real service (HTTP + webhook worker) listening on
// a real port over a fresh database, serving the built portal. Built on the shared harness in
// test/support; nothing here re-implements it.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestApp, type TestApp } from '../../support/app.ts';
import { adminHeaders, createAgency, login, simulate, type TestAgency } from '../../support/fixtures.ts';
import { createApiKey } from '../../support/api-keys.ts';
import type { Tier } from '../../../src/db/types.ts';

import { REPO_ROOT } from './paths.ts';
const PORTAL_INDEX = path.join(REPO_ROOT, 'portal/dist/index.html');

export interface Stack {
  app: TestApp['app'];
  /** Origin of the service, e.g. http://127.0.0.1:41234 */
  url: string;
  createAgency(options?: { tier?: Tier; name?: string }): Promise<TestAgency>;
  /** Adds a read-only member to an agency (no operator endpoint exists for this). */
  createMember(agencyId: string): Promise<{ email: string; password: string }>;
  simulate(agencyId: string, event: string): ReturnType<typeof simulate>;
  /** Generates an API key as the agency's owner (through the portal API, not the UI). */
  createKey(agency: TestAgency, name: string, scopes?: string[]): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  if (!fs.existsSync(PORTAL_INDEX)) {
    throw new Error(`The portal is not built (${PORTAL_INDEX} is missing): run npm run build:portal first.`);
  }
  const test = await createTestApp({ listen: true, worker: true });
  // The service must serve the SPA at / with index.html as the fallback for client routes.
  const probe = await fetch(`${test.url}/settings/api`, { headers: { accept: 'text/html' } });
  if (!probe.ok || !(probe.headers.get('content-type') ?? '').includes('text/html')) {
    await test.close();
    throw new Error(`The service does not serve the portal at /settings/api (HTTP ${probe.status}).`);
  }
  return {
    app: test.app,
    url: test.url,
    createAgency: (options = {}) => createAgency(test.app, options),
    async createMember(agencyId) {
      const email = `member-${randomBytes(4).toString('hex')}@agency.test`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      await test.ctx.services.agencies.addUser(agencyId, { email, password, role: 'member', name: 'Mia Member' });
      return { email, password };
    },
    simulate: (agencyId, event) => simulate(test.app, agencyId, event),
    async createKey(agency, name, scopes = ['locations:read']) {
      return createApiKey(test.app, await login(test.app, agency.email, agency.password), { name, scopes });
    },
    close: () => test.close(),
  };
}

export { adminHeaders };
