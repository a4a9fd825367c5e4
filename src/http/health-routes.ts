import { sql } from 'kysely';
import { Type } from 'typebox';
import type { App } from './app-type.ts';
import { pendingMigrations } from '../db/migrator.ts';

const Status = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

/** /healthz: the process answers. /readyz: the database answers and every migration is applied. */
export async function healthRoutes(app: App): Promise<void> {
  app.get('/healthz', { schema: { hide: true, response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true, response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await sql`select 1`.execute(app.ctx.db);
      checks.database = 'ok';
      const pending = await pendingMigrations(app.ctx.db);
      checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    const ready = Object.values(checks).every((value) => value === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
}
