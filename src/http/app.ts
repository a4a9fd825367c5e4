import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {} from '@fastify/swagger';
import cookie from '@fastify/cookie';
import type { AppContext } from '../services.ts';
import { ApiError, renderProblem, type BearerChallenge } from '../kit/errors.ts';
import { isDatabaseUnavailable } from '../db/availability.ts';
import { validatorCompiler } from './validation.ts';
import { toFieldErrors } from './validation-errors.ts';
import { registerRoutes } from './routes.ts';
import { handleUnrouted, MAX_PARAM_LENGTH, routeNotFound } from './not-found.ts';
import { BODY_LIMIT_BYTES, payloadTooLarge } from './body-limits.ts';
import { registerJsonParser } from './json-body.ts';
import { browserHeaders, secretAnswersUncached } from './security-headers.ts';
import { OneLinePerRequest } from './request-log.ts';
import { requestIdFor } from './request-id.ts';
import { traceIdOf } from './trace-context.ts';
import type { App } from './app-type.ts';
import { recordHttpMetrics } from '../observability/http-metrics.ts';
import { nameRequestSpan, requestSpanIds, tracedServerFactory } from '../observability/http-spans.ts';

/** The bearer challenge realm of every 401 and of an API key's 403 insufficient_scope. */
const API_REALM = 'Bearer realm="FARO API"';

function wwwAuthenticate(challenge: BearerChallenge): string {
  const error = challenge.error ? `, error="${challenge.error}"` : '';
  const scope = challenge.scope ? `, scope="${challenge.scope.join(' ')}"` : '';
  return API_REALM + error + scope;
}

/** The headers an error's facts call for. */
function problemHeaders(error: ApiError): Record<string, string> {
  return {
    ...(error.retryAfterSeconds !== undefined ? { 'Retry-After': String(error.retryAfterSeconds) } : {}),
    ...(error.bearerChallenge ? { 'WWW-Authenticate': wwwAuthenticate(error.bearerChallenge) } : {}),
    ...(error.allow ? { Allow: error.allow.join(', ') } : {}),
  };
}

/** Each request's logger: the request id, and the caller's W3C trace id when it sent a valid `traceparent`. */
function requestLogger(
  logger: FastifyBaseLogger,
  bindings: Parameters<FastifyBaseLogger['child']>[0],
  options: Parameters<FastifyBaseLogger['child']>[1],
  rawRequest: IncomingMessage,
): FastifyBaseLogger {
  const traceId = traceIdOf(rawRequest.headers.traceparent);
  return logger.child(traceId ? { ...bindings, trace_id: traceId } : bindings, options);
}

/** With tracing on: the request span's trace id (the caller's trace, when it sent a valid `traceparent`) and span id. */
function tracedRequestLogger(...[logger, bindings, options, rawRequest]: Parameters<typeof requestLogger>): FastifyBaseLogger {
  const span = requestSpanIds(rawRequest);
  if (!span) return requestLogger(logger, bindings, options, rawRequest);
  return logger.child({ ...bindings, trace_id: span.traceId, span_id: span.spanId }, options);
}

const hopsTrusted = (hops: number) => (_address: string, hop: number) => hop < hops;

/** Translate framework errors (bad JSON, body size, media type, schema) into catalogue errors. */
function toApiError(error: FastifyError, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) {
    return new ApiError('validation_failed', 'One or more fields are not valid; see errors.', {
      errors: toFieldErrors(error.validation as never, error.validationContext),
    });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('malformed_json', 'The request body could not be parsed as JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('malformed_json', 'The content-type is application/json but the body is empty.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(request);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('unsupported_media_type', 'Send request bodies as application/json.');
    // @fastify/static refuses paths it will not map to a file (a segment too long for the file
    // system, `//`, `/./`): for the client that is simply no such file.
    case 'FST_STATIC_FORBIDDEN_PATH':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return routeNotFound(request);
    case 'FST_ERR_BAD_URL':
      return new ApiError('validation_failed', 'The path is not valid percent-encoded UTF-8.', {
        errors: [{ path: 'path', message: 'is not valid percent-encoding' }],
      });
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new ApiError('malformed_json', 'The request body could not be parsed as JSON.');
  }
  if (isDatabaseUnavailable(error)) {
    return new ApiError('database_unavailable', 'The database is unreachable right now (a restart or failover); retry shortly.', {
      retryAfterSeconds: 1,
      cause: error,
    });
  }
  return new ApiError('internal_error', 'Something went wrong on our side; the request id identifies it.', {
    cause: error,
  });
}

function sendProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error, request);
  if (apiError.code === 'database_unavailable') {
    request.log.warn({ code: apiError.code, reason: error.message }, 'request failed: database unavailable');
  } else if (apiError.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.info({ code: apiError.code }, apiError.message);
  }
  void reply
    .code(apiError.status)
    .header('Request-Id', request.id)
    .headers(problemHeaders(apiError))
    .type('application/problem+json')
    .send(renderProblem(apiError, request.url.split('?')[0] ?? request.url, request.id));
}

export async function buildApp(ctx: AppContext, options: { logger?: FastifyBaseLogger } = {}): Promise<App> {
  const tracing = ctx.config.tracing;
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new OneLinePerRequest(),
    bodyLimit: BODY_LIMIT_BYTES,
    // A hop count N trusts the N proxies nearest to us (proxy-addr's "hops" rule).
    trustProxy: typeof ctx.config.trustProxy === 'number' ? hopsTrusted(ctx.config.trustProxy) : ctx.config.trustProxy,
    genReqId: requestIdFor,
    childLoggerFactory: tracing ? tracedRequestLogger : requestLogger,
    ...(tracing ? { serverFactory: tracedServerFactory } : {}),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Requests the router refuses before any route or hook (a path that is not valid UTF-8).
    frameworkErrors: sendProblem,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('ctx', ctx);
  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON only: Fastify's default text/plain parser would turn a text body into a string
  // that then fails validation (400) instead of the 415 the contract promises.
  app.removeContentTypeParser('text/plain');
  registerJsonParser(app);
  await app.register(cookie);
  secretAnswersUncached(app as unknown as App);

  // Every answer, errors and 404s included, carries its request id and the browser headers.
  const everyAnswer = browserHeaders(ctx.config.publicBaseUrl);
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(everyAnswer).header('Request-Id', request.id);
    done();
  });
  if (tracing) app.addHook('onRequest', nameRequestSpan);

  recordHttpMetrics(app, ctx.metrics);
  app.setErrorHandler(sendProblem);

  app.setNotFoundHandler(handleUnrouted(app as unknown as App));

  await registerRoutes(app as unknown as App);
  return app as unknown as App;
}
