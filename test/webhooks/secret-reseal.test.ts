import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { createSecretBox } from '../../src/domains/webhooks/secret-box.ts';
import { resealWebhookSecrets } from '../../src/domains/webhooks/secret-reseal.ts';
import { listSealedSecrets, replaceSealedSecrets } from '../../src/domains/webhooks/subscriptions-repository.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { createTestDatabase, usingPostgres } from '../support/database.ts';
import { callerFor, createSubscription, createTestApp, newCaller, type Caller } from './support.ts';
import type { TestApp } from '../support/app.ts';
import { createApiKey } from '../support/api-keys.ts';

const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');
const key = (base64: string) => Buffer.from(base64, 'base64');

describe('rotating FARO_SECRET_KEY: re-sealing webhook secrets', () => {
  let database: Database & { url?: string };
  let before: TestApp;
  let caller: Caller;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    before = await createTestApp({ database, env: { FARO_SECRET_KEY: oldKey } });
    caller = await newCaller(before);
    for (const n of [1, 2, 3]) {
      const created = await createSubscription(caller, { url: `http://127.0.0.1:9/hook-${n}` });
      secrets.set(created.id, created.secret);
    }
    // One mid-rotation, so it also holds a previous secret; one deleted: its row keeps its secret.
    const [rotating, , deleted] = [...secrets.keys()];
    expect((await caller.call('POST', `/webhooks/${rotating}/rotate-secret`)).statusCode).toBe(200);
    secrets.set(rotating!, (await caller.call('GET', `/webhooks/${rotating}/secret`)).json<{ secret: string }>().secret);
    expect((await caller.call('DELETE', `/webhooks/${deleted}`)).statusCode).toBe(204);
  });
  afterAll(async () => {
    await before?.close();
    await database?.close();
  });

  it('re-seals every secret with the new key, once, and an instance with only the new key reads them', async () => {
    const rotated = createSecretBox(key(newKey), [key(oldKey)]);
    expect(await resealWebhookSecrets(database.db, rotated)).toEqual({ checked: 3, resealed: 3, changedMeanwhile: 0, unreadable: [] });
    expect(await resealWebhookSecrets(database.db, rotated)).toEqual({ checked: 3, resealed: 0, changedMeanwhile: 0, unreadable: [] });

    const newOnly = createSecretBox(key(newKey));
    const rows = await listSealedSecrets(database.db, '', 100);
    for (const row of rows) {
      newOnly.open(row.secret_sealed);
      if (row.previous_secret_sealed !== null) newOnly.open(row.previous_secret_sealed);
    }
    expect(rows.filter((row) => row.previous_secret_sealed !== null)).toHaveLength(1);

    // The API of an instance that no longer has the old key shows the same secrets as before.
    const after = await createTestApp({ database, env: { FARO_SECRET_KEY: newKey } });
    try {
      const reader = callerFor(after, caller.agency, (await createApiKey(after.app, caller.agency.id, { scopes: SCOPES })).key);
      const live = [...secrets.keys()].slice(0, 2);
      for (const id of live) {
        const response = await reader.call('GET', `/webhooks/${id}/secret`);
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json<{ secret: string }>().secret).toBe(secrets.get(id));
      }
    } finally {
      await after.close();
    }
  });

  it('reports a secret sealed with a key it was not given, and leaves it alone', async () => {
    const strangerKey = randomBytes(32);
    const [row] = await listSealedSecrets(database.db, '', 1);
    const foreign = createSecretBox(strangerKey).seal('whsec_Zm9yZWlnbg==');
    expect(await replaceSealedSecrets(database.db, row!, { secret_sealed: foreign, previous_secret_sealed: row!.previous_secret_sealed })).toBe(true);

    const report = await resealWebhookSecrets(database.db, createSecretBox(key(newKey), [key(oldKey)]));
    expect(report.unreadable).toEqual([row!.id]);
    expect((await listSealedSecrets(database.db, '', 1))[0]!.secret_sealed).toBe(foreign);
  });

  it('does not overwrite a secret that changed after it was read', async () => {
    const [read] = await listSealedSecrets(database.db, '', 1);
    const box = createSecretBox(key(newKey));
    const changed = { secret_sealed: box.seal('whsec_Y2hhbmdlZA=='), previous_secret_sealed: read!.previous_secret_sealed };
    expect(await replaceSealedSecrets(database.db, read!, changed)).toBe(true);
    expect(await replaceSealedSecrets(database.db, read!, { secret_sealed: box.seal('whsec_bG9zdA=='), previous_secret_sealed: null })).toBe(false);
    expect((await listSealedSecrets(database.db, '', 1))[0]!.secret_sealed).toBe(changed.secret_sealed);
  });

  it.skipIf(!usingPostgres())('npm run secrets:reseal does it from the command line, and exits 1 on an unreadable secret', async () => {
    const [first] = await listSealedSecrets(database.db, '', 1);
    const foreign = createSecretBox(randomBytes(32)).seal('whsec_Zm9yZWlnbg==');
    await replaceSealedSecrets(database.db, first!, { secret_sealed: foreign, previous_secret_sealed: first!.previous_secret_sealed });
    const run = promisify(execFile);
    const env = { ...process.env, DATABASE_URL: database.url!, FARO_SECRET_KEY: randomBytes(32).toString('base64'), FARO_SECRET_KEY_PREVIOUS: `${oldKey},${newKey}` };
    const failed = await run(process.execPath, ['src/cli/reseal-secrets.ts'], { env }).then(() => null, (error: { code: number; stdout: string; stderr: string }) => error);
    // The first row holds a secret sealed with none of these keys; the others are re-sealed.
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toMatch(/checked 3 webhook subscriptions: re-sealed 2, 0 rotated meanwhile \(already current\), 1 unreadable/);
    expect(failed?.stderr).toContain('FARO_SECRET_KEY_PREVIOUS');
  });
});
