import type { App } from '../../http/app-type.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { requirePortalSession } from '../../http/portal-auth.ts';
import { resolvePortalAgency } from '../../http/portal-mode.ts';
import { IdParams, requireId } from '../../http/public-schemas.ts';
import { requireIntegrationsTier } from '../agencies/entitlements.ts';
import { DeliveryStatsQuery, DeliveryStatsSchema } from './stats-schemas.ts';

/** The portal's webhook charts (the rest of Settings → Webhooks uses the public API with the session). */
export async function portalWebhookRoutes(app: App): Promise<void> {
  const { sessions, sandboxes, deliveryStats } = app.ctx.services;
  app.addHook('onRequest', requirePortalSession(sessions));
  app.addHook('onRequest', async (request) => requireIntegrationsTier(request.portalSession!.agency.tier, 'Webhooks', 'your agency'));
  app.addHook('onRequest', resolvePortalAgency(sandboxes));

  app.get('/portal/api/webhooks/:id/delivery-stats', {
    schema: { hide: true, params: IdParams('whsub', 'webhook subscription'), querystring: DeliveryStatsQuery, response: { 200: DeliveryStatsSchema, ...ProblemResponses } },
    handler: async (request) => {
      const id = requireId('whsub', request.params.id, 'webhook subscription');
      return deliveryStats.hourly(request.portalAgencyId!, id, request.query.range ?? '24h');
    },
  });
}
