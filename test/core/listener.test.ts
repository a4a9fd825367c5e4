import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify, type Database } from '../../src/db/database.ts';
import { createTestDatabase, terminateListeners, usingPostgres } from '../support/database.ts';
import { until } from '../support/eventually.ts';

describe.skipIf(!usingPostgres())('LISTEN on Postgres survives a lost connection', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.close());

  it('reconnects, says so, and hears notifications again', async () => {
    const payloads: string[] = [];
    const events: string[] = [];
    const unlisten = await database.listen('faro_test_channel', (payload) => payloads.push(payload), {
      onLost: () => events.push('lost'),
      onReconnect: () => events.push('reconnected'),
    });
    try {
      await notify(database.db, 'faro_test_channel', 'before');
      await until(() => payloads.includes('before'), 'the first notification');

      expect(await terminateListeners(database)).toBe(1);
      await until(() => events.includes('reconnected'), 'the reconnect');
      expect(events).toEqual(['lost', 'reconnected']);

      await notify(database.db, 'faro_test_channel', 'after');
      await until(() => payloads.includes('after'), 'a notification after the reconnect');
    } finally {
      await unlisten();
    }
    // Once unsubscribed it stays gone: no connection left, nothing to reconnect.
    expect(await terminateListeners(database)).toBe(0);
  });
});
