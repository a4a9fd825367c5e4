/*
 * A server span per HTTP request. It starts where the request enters Node (the server's request
 * listener, through Fastify's serverFactory) so that everything Fastify does for the request runs
 * in its context: the request's logger is made from it, and the database, Redis and webhook spans
 * of the request become its children. An incoming W3C `traceparent` (the registered propagator)
 * makes it a child of the caller's span. Requests made with `app.inject` do not pass through the
 * server and get no span.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyRequest, FastifyServerFactory } from 'fastify';
import { tracer } from './tracer.ts';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

const requestSpans = new WeakMap<IncomingMessage, Span>();

const methodOf = (request: IncomingMessage) => (request.method && KNOWN_METHODS.has(request.method) ? request.method : '_OTHER');

function endRequestSpan(span: Span, response: ServerResponse): void {
  // A client that goes away before any response leaves no status to report.
  if (response.headersSent) {
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

function startRequestSpan(request: IncomingMessage, response: ServerResponse) {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const method = methodOf(request);
  const span = tracer.startSpan(
    method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': query === -1 ? url : url.slice(0, query) } },
    parent,
  );
  requestSpans.set(request, span);
  response.once('close', () => endRequestSpan(span, response));
  return trace.setSpan(parent, span);
}

/**
 * Fastify's own HTTP/1 server (the same options applied), with each request handled inside its
 * span's context. The request and response emitters are bound to it too, as OpenTelemetry's own
 * HTTP instrumentation does: Fastify reads the body and finishes the reply from their events, and
 * an event that comes from a later read of the socket would otherwise run in the connection's context.
 */
export const tracedServerFactory: FastifyServerFactory = (handler, options) => {
  const server = http.createServer((options.http ?? {}) as http.ServerOptions, (request, response) => {
    const requestContext = startRequestSpan(request, response);
    context.bind(requestContext, request);
    context.bind(requestContext, response);
    context.with(requestContext, handler, undefined, request, response);
  });
  server.keepAliveTimeout = options.keepAliveTimeout as number;
  server.requestTimeout = options.requestTimeout as number;
  server.setTimeout(options.connectionTimeout as number);
  if ((options.maxRequestsPerSocket as number) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket as number;
  return server;
};

/** onRequest hook: once routed, the span is named by the route template (`GET /api/v1/locations/:id`). */
export function nameRequestSpan(request: FastifyRequest, _reply: unknown, done: () => void): void {
  const span = requestSpans.get(request.raw);
  const route = request.routeOptions.url;
  if (span && route !== undefined) {
    span.setAttribute('http.route', route);
    span.updateName(`${methodOf(request.raw)} ${route}`);
  }
  done();
}

/** The trace and span ids of the request's span, for its log lines; none for a request that has no span. */
export function requestSpanIds(request: IncomingMessage): { traceId: string; spanId: string } | undefined {
  const span = requestSpans.get(request);
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
