/**
 * A circuit breaker in front of a shared dependency (Redis for the rate limiter). Closed: calls
 * go to the dependency. After `failureThreshold` consecutive failures (or one `trip`) it opens:
 * callers skip the dependency at once, and a single probe every `probeIntervalMs` asks whether
 * it is back. The first successful probe closes it. Each transition is reported once.
 */
export interface CircuitBreaker {
  readonly isOpen: boolean;
  /** A call succeeded: resets the failure count. */
  success(): void;
  /** A call failed; opens the breaker once failures run consecutively to the threshold. */
  failure(error: unknown, during: string): void;
  /** Open now, whatever the count (the dependency is known to be gone or frozen). */
  trip(error: unknown, during: string): void;
  close(): void;
}

export interface CircuitBreakerOptions {
  failureThreshold: number;
  probeIntervalMs: number;
  /** Resolves when the dependency answers; rejects (or never settles) while it does not. */
  probe(): Promise<unknown>;
  onOpen(error: unknown, during: string): void;
  onClose(openForMs: number): void;
  /** A probe failed while open: for a throttled reminder in the log. */
  onProbeFailed?(error: unknown): void;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  let consecutiveFailures = 0;
  let openedAt: number | null = null;
  let probeTimer: NodeJS.Timeout | undefined;
  let probing = false;
  let closed = false;

  function open(error: unknown, during: string): void {
    if (openedAt !== null || closed) return;
    openedAt = Date.now();
    options.onOpen(error, during);
    probeTimer = setInterval(probe, options.probeIntervalMs);
    probeTimer.unref();
  }

  function probe(): void {
    // One probe at a time: against a frozen server the last one is still waiting.
    if (probing || openedAt === null) return;
    probing = true;
    options.probe().then(
      () => {
        probing = false;
        if (openedAt === null) return;
        const openForMs = Date.now() - openedAt;
        openedAt = null;
        consecutiveFailures = 0;
        clearInterval(probeTimer);
        options.onClose(openForMs);
      },
      (error: unknown) => {
        probing = false;
        options.onProbeFailed?.(error);
      },
    );
  }

  return {
    get isOpen() {
      return openedAt !== null;
    },
    success() {
      consecutiveFailures = 0;
    },
    failure(error, during) {
      consecutiveFailures += 1;
      if (consecutiveFailures >= options.failureThreshold) open(error, during);
    },
    trip(error, during) {
      open(error, during);
    },
    close() {
      closed = true;
      clearInterval(probeTimer);
    },
  };
}
