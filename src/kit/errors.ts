/**
 * The closed catalogue of problem kinds (RFC 9457). Every error a client can see is one of these:
 * a stable `code`, its HTTP status, a title, and a `type` URI derived from the code.
 */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },
  invalid_webhook_url: { status: 400, title: 'The webhook URL is not allowed' },
  missing_credentials: { status: 401, title: 'Authentication is required' },
  malformed_api_key: { status: 401, title: 'The API key is malformed' },
  unknown_api_key: { status: 401, title: 'The API key is not recognised' },
  revoked_api_key: { status: 401, title: 'The API key has been revoked' },
  expired_api_key: { status: 401, title: 'The API key has expired' },
  invalid_credentials: { status: 401, title: 'Email or password is incorrect' },
  invalid_session: { status: 401, title: 'The session is missing or has expired' },
  invalid_admin_token: { status: 401, title: 'The admin token is missing or wrong' },
  csrf_failed: { status: 403, title: 'The CSRF token is missing or wrong' },
  tier_required: { status: 403, title: 'This feature needs a higher plan' },
  insufficient_scope: { status: 403, title: 'The API key lacks a required scope' },
  test_mode_only: { status: 403, title: 'This endpoint works in test mode only' },
  forbidden: { status: 403, title: 'You are not allowed to do this' },
  not_found: { status: 404, title: 'The resource does not exist' },
  route_not_found: { status: 404, title: 'No such endpoint' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used with a different request' },
  idempotency_key_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  rate_limited: { status: 429, title: 'Too many requests' },
  login_throttled: { status: 429, title: 'Too many login attempts' },
  auth_throttled: { status: 429, title: 'Too many unrecognised API keys from this address' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'The service is not ready' },
  database_unavailable: { status: 503, title: 'The database is temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_BASE = 'https://docs.faro.app/problems/';

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + code.replaceAll('_', '-');
}

export interface FieldError {
  /** Where the problem is, e.g. `body.events[0]` or `query.limit`. */
  path: string;
  message: string;
}

/**
 * What a 401/403 of the public API says about the bearer credential (RFC 6750 §3): the error
 * renderer makes the `WWW-Authenticate` header of it. Without `error`, a plain challenge.
 */
export interface BearerChallenge {
  error?: 'invalid_token' | 'insufficient_scope';
  scope?: readonly string[];
}

/**
 * The error every layer throws for a client-visible failure; the error handler renders it.
 * It carries facts, not HTTP headers: the renderer turns `retryAfterSeconds`, `bearerChallenge`
 * and `allow` into `Retry-After`, `WWW-Authenticate` and `Allow`.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown>;
  /** When the client may try again (429, 503). */
  readonly retryAfterSeconds: number | undefined;
  readonly bearerChallenge: BearerChallenge | undefined;
  /** The methods the path does answer (405). */
  readonly allow: readonly string[] | undefined;

  constructor(
    code: ProblemCode,
    detail?: string,
    options: {
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      retryAfterSeconds?: number;
      bearerChallenge?: BearerChallenge;
      allow?: readonly string[];
      cause?: unknown;
    } = {},
  ) {
    super(detail ?? PROBLEMS[code].title, { cause: options.cause });
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.bearerChallenge = options.bearerChallenge;
    this.allow = options.allow;
  }
}

export const notFound = (what: string) => new ApiError('not_found', `No ${what} with that id exists.`);

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ProblemCode;
  request_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function renderProblem(error: ApiError, instance: string, requestId: string): Problem {
  return {
    ...error.extensions,
    type: problemType(error.code),
    title: PROBLEMS[error.code].title,
    status: error.status,
    detail: error.message,
    instance,
    code: error.code,
    request_id: requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}
