import type { App } from './app-type.ts';
import { healthRoutes } from './health-routes.ts';
import { portalStatic } from './portal-static.ts';
import { adminAgencyRoutes } from '../domains/agencies/admin-routes.ts';
import { portalSessionRoutes } from '../domains/agencies/portal-routes.ts';
import { publicApi, type PublicRoutes } from './public-api.ts';
import { portalApiKeyRoutes } from '../domains/api/portal-routes.ts';
import { adminApiKeyRoutes } from '../domains/api/admin-routes.ts';
import { registerOpenApi, openApiRoutes } from './openapi.ts';
import { webhookGuideRoutes } from './webhook-guide.ts';
import { locationRoutes } from '../domains/locations/routes.ts';
import { conversationRoutes } from '../domains/conversations/routes.ts';
import { messageRoutes } from '../domains/messages/routes.ts';
import { reviewRoutes } from '../domains/reviews/routes.ts';
import { leadRoutes } from '../domains/leads/routes.ts';
import { webhookSubscriptionRoutes } from '../domains/webhooks/routes.ts';
import { eventRoutes } from '../domains/events/routes.ts';
import { eventStreamRoutes } from '../domains/events/stream-routes.ts';
import { auditRoutes } from '../domains/audit/routes.ts';
import { testingRoutes } from '../domains/testing/routes.ts';
import { usageRoutes } from '../domains/usage/routes.ts';
import { portalWebhookRoutes } from '../domains/webhooks/portal-routes.ts';
import { portalAlertRoutes } from '../domains/alerts/portal-routes.ts';

/** The /api/v1 route plugins (paths relative to /api/v1); each runs behind key/session auth, scopes and rate limits. */
export const publicRoutes: PublicRoutes[] = [
  // add public route plugins here, one per line
  locationRoutes,
  conversationRoutes,
  messageRoutes,
  reviewRoutes,
  leadRoutes,
  webhookSubscriptionRoutes,
  eventRoutes,
  eventStreamRoutes,
  auditRoutes,
  testingRoutes,
  usageRoutes,
];

/** Every route plugin of the service, in one place. Each is encapsulated (its hooks stay inside). */
export async function registerRoutes(app: App): Promise<void> {
  // First: @fastify/swagger learns the routes registered after it.
  await registerOpenApi(app);
  await app.register(healthRoutes);
  await app.register(adminAgencyRoutes);
  await app.register(portalSessionRoutes);
  await app.register(portalApiKeyRoutes);
  await app.register(adminApiKeyRoutes);
  await app.register(portalWebhookRoutes);
  await app.register(portalAlertRoutes);
  // Before publicApi: the API reference (/api/v1/openapi.json, /docs) needs no key.
  await app.register(openApiRoutes);
  await app.register(webhookGuideRoutes);
  await app.register(publicApi, { prefix: '/api/v1', routes: publicRoutes });
  await app.register(portalStatic);
}
