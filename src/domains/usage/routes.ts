import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses, ProblemSchema } from '../../http/problem-schema.ts';
import { IdParams, ListQuery, NoQuery, requireId } from '../../http/public-schemas.ts';
import { redactUrl } from '../../http/log-redaction.ts';
import { RequestLogFilters, RequestLogSchema, UsageQuery, UsageSchema } from './schemas.ts';
import type { UsageRecorder } from './recorder.ts';

export const USAGE_TAGS = ['Usage and request log'];

const RECORDED =
  'Requests made with an API key are recorded (those of the portal, made with a session, are not); a request refused before its key was recognised (401) belongs to no key and is not recorded. ' +
  'Each instance writes what it recorded every few seconds, so the last seconds may not show yet.';

/**
 * The onResponse hook of the public API: records each request made with an API key. Cheap on
 * purpose (a Map increment and an array push in the recorder); the writes happen in batches.
 * A callback hook, not an async one: no promise per request.
 */
export function recordApiRequest(recorder: UsageRecorder) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const auth = request.auth;
    if (!auth || auth.keyId === null) return done();
    recorder.record({
      agencyId: auth.agencyId,
      keyId: auth.keyId,
      method: request.method,
      path: redactUrl(request.url),
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
      requestId: request.id,
      clientIp: request.ip ?? null,
    });
    done();
  };
}

/** Public API (mounted under /api/v1): usage per key, and the request log. */
export async function usageRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/usage', {
    config: { scope: 'usage:read' },
    schema: {
      operationId: 'getKeyUsage',
      summary: 'Get an API key’s usage',
      description:
        'Requests one API key made per hour or per UTC day, by outcome (succeeded, client errors, rate limited, server errors), with the key’s hourly limit. ' +
        `Every bucket of the range is listed, oldest first; usage is kept 30 days. ${RECORDED}`,
      tags: USAGE_TAGS,
      querystring: UsageQuery,
      // 404: `key_id` names no key of this agency in this mode.
      response: { 200: UsageSchema, 404: ProblemSchema, ...ProblemResponses },
    },
    handler: async (request) => services.usage.usage(request.auth.agencyId, request.query),
  });

  app.get('/request-logs', {
    config: { scope: 'usage:read' },
    schema: {
      operationId: 'listRequestLogs',
      summary: 'List API requests',
      description:
        'The API requests of the last 7 days (by default; the operator may keep them longer or shorter), newest first: key, method, path, status, duration, request id and client address. ' +
        `Never a body, a header or a credential. Filter by key, status or status class, path prefix and time. ${RECORDED}`,
      tags: USAGE_TAGS,
      querystring: ListQuery(RequestLogFilters),
      response: { 200: PageSchema(RequestLogSchema, 'RequestLog'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filter } = request.query;
      return services.usage.listRequests(request.auth.agencyId, filter, pageRequest({ limit, cursor }, 'reqlog'));
    },
  });

  app.get('/request-logs/:id', {
    config: { scope: 'usage:read' },
    schema: {
      operationId: 'getRequestLog',
      summary: 'Get an API request',
      description: 'One entry of the request log.',
      tags: USAGE_TAGS,
      params: IdParams('reqlog', 'request log entry'),
      querystring: NoQuery,
      response: { 200: RequestLogSchema, ...ProblemResponses },
    },
    handler: async (request) => services.usage.getRequest(request.auth.agencyId, requireId('reqlog', request.params.id, 'request log entry')),
  });
}
