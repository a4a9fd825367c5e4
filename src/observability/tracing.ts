/*
 * The OpenTelemetry SDK, started by the composition root when `config.tracing` is on (an OTLP
 * endpoint is set). It exports spans only: the exporter, protocol, sampler, resource and limits
 * come from the standard OTEL_* variables, read by the SDK. Metrics are served to Prometheus by
 * FARO itself and logs go to stdout, so the SDK's metric and log pipelines stay off.
 *
 * The spans are made by hand at a few places (observability/*-spans.ts) through
 * `@opentelemetry/api`, not by auto-instrumentation: FARO runs its TypeScript sources directly as
 * ES modules, where require/import hooks do not reliably patch the libraries.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';

export const DEFAULT_SERVICE_NAME = 'faro-integrations';

export interface Tracing {
  /** Exports the spans still buffered, then stops; later spans are dropped. Never rejects: a collector that is gone costs the last spans, not a clean stop. */
  shutdown(): Promise<void>;
}

export interface TracingLogger {
  warn(obj: object, msg: string): void;
}

type Env = Record<string, string | undefined>;

/** The SDK lets `serviceName` win over the environment, so it is only a default when neither names the service. */
function serviceNameDefault(env: Env): string | undefined {
  const namedInAttributes = (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',').some((pair) => pair.trim().startsWith('service.name='));
  const named = Boolean(env.OTEL_SERVICE_NAME?.trim()) || namedInAttributes;
  return named ? undefined : DEFAULT_SERVICE_NAME;
}

/** `env` must be the environment the SDK reads (process.env); it is passed to read the service name from the same place. */
export function startTracing(logger: TracingLogger, env: Env = process.env): Tracing {
  const serviceName = serviceNameDefault(env);
  const sdk = new NodeSDK({
    ...(serviceName ? { serviceName } : {}),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    shutdown: () =>
      sdk.shutdown().catch((err: unknown) => logger.warn({ err }, 'TRACING: the last spans could not be exported (is the OTLP collector reachable?)')),
  };
}
