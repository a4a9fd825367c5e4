import type { App } from '../../http/app-type.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { NoQuery } from '../../http/public-schemas.ts';
import { ApiError } from '../../kit/errors.ts';
import { EVENT_READ_SCOPES } from '../events/event-types.ts';
import { assertMayReadEvents } from '../events/scope-fence.ts';
import { TriggerEventBody, TriggeredEventSchema } from './schemas.ts';

const scopeNote = Object.entries(EVENT_READ_SCOPES)
  .filter(([, scope]) => scope !== null)
  .map(([type, scope]) => `\`${type}\` needs \`${scope}\``)
  .join(', ');

/** Public API (mounted under /api/v1): make an event happen for real, in test mode only. */
export async function testingRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.post('/test/events', {
    // As the events API: events:read, and the read scope of the event's resource (checked below).
    config: { scope: 'events:read' },
    // Before the body is read: a live key learns only that this is not for it.
    onRequest: async (request) => {
      if (request.auth.livemode) {
        throw new ApiError('test_mode_only', 'POST /api/v1/test/events works with a faro_test_ key only; a live key never raises test events. Generate a test key in Settings → API (test mode).');
      }
    },
    schema: {
      operationId: 'triggerTestEvent',
      summary: 'Trigger a test event',
      description:
        'Test mode only (a `faro_test_` key; a live key gets 403 `test_mode_only`). Runs the real domain action behind the event in the agency’s sandbox, with generated data: ' +
        'a review is created, a lead converted, a conversation started, a message received or a sync run fails. Everything downstream is real: the event is in `GET /api/v1/events` ' +
        '(with `livemode: false`) and is delivered, signed, to the sandbox’s webhook subscriptions to its type. ' +
        `The key needs what reading the event needs: \`events:read\` and the read scope of the event’s resource (${scopeNote}); 403 \`insufficient_scope\` otherwise.`,
      tags: ['Test mode'],
      querystring: NoQuery,
      body: TriggerEventBody,
      response: { 201: TriggeredEventSchema, ...ProblemResponses },
    },
    handler: async (request, reply) => {
      const { type } = request.body;
      assertMayReadEvents(request.auth, [type]);
      const { event_id, resource } = await services.simulation.simulate(request.auth.agencyId, type);
      return reply.code(201).send({ event_id, type, resource });
    },
  });
}
