/*
 * A client span per Redis call, made by the code that issues it (the rate limiter, the key-change
 * publisher). ioredis 6 publishes its commands on the `ioredis:command` diagnostics channel, but with
 * auto-pipelining (on for the limiter) a command is written from a process.nextTick queued by the
 * first command of its tick: a span made there would belong to whichever request came first.
 * Arguments (keys name API keys) stay out of the span. Calls outside any span are not traced.
 */
import { SpanKind } from '@opentelemetry/api';
import { hasActiveSpan, recordFailure, tracer } from './tracer.ts';

export interface RedisTarget {
  host: string;
  port: number;
}

/** Where a `redis://` / `rediss://` URL points (the span's server.address and server.port). */
export function redisTarget(url: string): RedisTarget {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : 6379 };
}

/** Runs `call` (one Redis command, `operation` as Redis names it) in a span when a request or attempt is being traced. */
export async function inRedisSpan<T>(operation: string, target: RedisTarget, call: () => Promise<T>): Promise<T> {
  if (!hasActiveSpan()) return call();
  const span = tracer.startSpan(operation, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system': 'redis',
      'db.system.name': 'redis',
      'db.operation.name': operation,
      'server.address': target.host,
      'server.port': target.port,
    },
  });
  try {
    return await call();
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
