import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/types.ts';
import { buildApp } from '../http/app.ts';
import type { App } from '../http/app-type.ts';
import { openApiDocument } from '../http/openapi.ts';
import { systemClock } from '../lib/clock.ts';
import { createAppContext } from '../services.ts';
import { observePortalRoutes, portalOpenApiDocument } from './openapi-portal.ts';

/**
 * A Database that never connects: every query answers "no rows" and LISTEN is a no-op. Building
 * the app only registers routes, so the document can be generated without Postgres or PGlite.
 */
export function createDetachedDatabase(): Database {
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return {
    db,
    kind: 'pglite',
    async listen() {
      return async () => undefined;
    },
    async copyRows() {
      throw new Error('a detached database writes nothing');
    },
    async close() {
      await db.destroy();
    },
  };
}

export interface OpenApiDocuments {
  /** The published reference (api/openapi.yaml). */
  public: Record<string, unknown>;
  /** The portal's own routes, for the portal's types only (see openapi-portal.ts). */
  portal: Record<string, unknown>;
}

/** Build the real app on a detached database and return its OpenAPI documents. */
export async function generateOpenApiDocuments(): Promise<OpenApiDocuments> {
  // A fixed environment: nothing from the caller's shell (REDIS_URL, DATABASE_URL…) can leak in.
  const config = loadConfig({
    FARO_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    FARO_SECRET_KEY: randomBytes(32).toString('base64'),
    FARO_DATA_DIR: path.join(os.tmpdir(), 'faro-openapi-unused'),
    LOG_LEVEL: 'silent',
  });
  const logger = pino({ level: 'silent' }) as FastifyBaseLogger;
  const database = createDetachedDatabase();
  const context = createAppContext({ config, database, clock: systemClock, logger });
  const portalRoutes = observePortalRoutes();
  let app: App | undefined;
  try {
    app = await buildApp(context, { logger });
    portalRoutes.stop();
    await app.ready();
    return { public: structuredClone(openApiDocument(app)), portal: await portalOpenApiDocument(portalRoutes.routes) };
  } finally {
    portalRoutes.stop();
    await app?.close();
    await context.close();
    await database.close();
  }
}

/** The published OpenAPI document alone. */
export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  return (await generateOpenApiDocuments()).public;
}
