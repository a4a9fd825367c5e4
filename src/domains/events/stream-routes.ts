import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from './event-types.ts';
import { SCOPE_FENCE_NOTE } from './schemas.ts';
import { runStreamSession } from './stream-session.ts';

const StreamQuery = Type.Object(
  {
    types: Type.Optional(
      Type.String({
        description: `Only events of these types, comma-separated (${SUBSCRIBABLE_EVENT_TYPES.join(', ')}). An unknown type is a 400; a type whose resource read scope the key lacks is a 403 \`insufficient_scope\`.`,
        examples: ['review.created,lead.converted'],
      }),
    ),
    last_event_id: Type.Optional(Type.String({ description: 'The `Last-Event-ID` header, for clients that cannot set headers (a browser `EventSource` sends the header itself on reconnect).', examples: ['evt_01jd5q7h3kd5f7h9k1m3n5q7s9'] })),
  },
  { additionalProperties: false },
);

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ description: 'Resume after this event: every event of the retention window that committed after it is sent first, then the live stream, with no gap and no repeat.' })),
});

const FRAMING =
  'Server-Sent Events (text/event-stream, UTF-8). Each event is one message: `id:` the event id, `event:` its type, and one `data:` line holding exactly the JSON body a webhook of that event carries. ' +
  'Comments (lines starting with `:`) carry no data: `: connected` once subscribed, `: heartbeat` every 15 s, and a last comment saying why before the server ends a stream (shutdown, or a client reading too slowly to keep up); reconnect with `Last-Event-ID` to resume.';

/** Public API (mounted under /api/v1): the agency's new events, live, as Server-Sent Events. */
export async function eventStreamRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  // Open streams never go idle: end them first, or closing the server would wait for the clients.
  app.addHook('preClose', (done) => {
    services.eventStreamHub.endAll();
    done();
  });

  app.get('/events/stream', {
    config: { scope: 'events:read' },
    schema: {
      operationId: 'streamEvents',
      summary: 'Stream events',
      description:
        'Every new event of the agency as it commits, in commit order, for integrators who cannot expose a webhook URL (and what `faro listen` uses). ' +
        `${FRAMING} ${SCOPE_FENCE_NOTE} Without \`types\` the stream carries every type the key may read. Authentication, scope and rate-limit refusals are problem responses before the stream starts.`,
      tags: ['Events'],
      querystring: StreamQuery,
      headers: StreamHeaders,
      response: {
        200: {
          description: FRAMING,
          content: { 'text/event-stream': { schema: Type.String({ examples: ['id: evt_01jd5q7h3kd5f7h9k1m3n5q7s9\nevent: review.created\ndata: {"id":"evt_01jd5q7h3kd5f7h9k1m3n5q7s9","type":"review.created",…}\n\n'] }) } },
        },
        ...ProblemResponses,
      },
    },
    handler: async (request, reply) => {
      const lastEventId = request.headers['last-event-id'] ?? request.query.last_event_id;
      const plan = await services.eventStream.plan(request.auth, { types: request.query.types, lastEventId });
      // Until here a failure (the database down) is still a problem response, not a broken stream.
      await services.eventStreamHub.started();
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string | number | string[]>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // Proxies that buffer responses (nginx) would hold the events back.
        'x-accel-buffering': 'no',
      });
      try {
        await runStreamSession({ hub: services.eventStreamHub, response, ...plan });
      } catch (error) {
        request.log.warn({ err: error }, 'event stream failed; ending it');
        if (!response.destroyed) response.end(': error: the stream failed; reconnect with Last-Event-ID to resume\n\n');
      }
    },
  });
}
