/*
 * A client span per webhook attempt: the signed POST and the recording of its outcome, so the
 * attempt's database statements are its children. A queued delivery's attempt starts a trace of
 * its own (the worker may be another process, and the outbox keeps no trace context); a test send
 * made by a request is a child of that request's span. No `traceparent` is sent to receivers (see
 * docs/operations.md, Tracing).
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { tracer } from './tracer.ts';

/** The facts of a claimed delivery the span reports. */
export interface AttemptedDelivery {
  id: string;
  event_id: string | null;
  event_type: string;
  subscription_id: string;
  attempts: number;
  is_test: boolean;
  url: string;
}

export interface AttemptResult {
  success: boolean;
  status_code: number | null;
  error_kind: string | null;
}

/** The receiver's host and port; never the path or query, which may carry the agency's own tokens. */
function receiverAttributes(url: string): Attributes {
  try {
    const parsed = new URL(url);
    const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
    return { 'server.address': parsed.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

export async function inAttemptSpan<R extends AttemptResult>(delivery: AttemptedDelivery, attempt: () => Promise<R>): Promise<R> {
  const span = tracer.startSpan('webhook attempt', {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': 'POST',
      ...receiverAttributes(delivery.url),
      'faro.delivery.id': delivery.id,
      'faro.subscription.id': delivery.subscription_id,
      'faro.event.type': delivery.event_type,
      'faro.delivery.attempt': delivery.attempts,
      ...(delivery.event_id ? { 'faro.event.id': delivery.event_id } : {}),
      ...(delivery.is_test ? { 'faro.delivery.test': true } : {}),
    },
  });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), attempt);
    if (result.status_code !== null) span.setAttribute('http.response.status_code', result.status_code);
    if (result.error_kind) span.setAttribute('error.type', result.error_kind);
    else if (!result.success && result.status_code !== null) span.setAttribute('error.type', String(result.status_code));
    if (!result.success && span.isRecording() && (result.error_kind || result.status_code !== null)) span.setStatus({ code: SpanStatusCode.ERROR });
    return result;
  } catch (error) {
    span.setAttribute('error.type', (error as { name?: string }).name ?? 'Error');
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
