import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PROBLEMS, problemType, type Problem, type ProblemCode } from '../../src/kit/errors.ts';

/**
 * Assert an RFC 9457 problem response exactly as this service renders it (src/kit/errors.ts):
 * this status and code, the catalogue's type and title, a detail, the request's path as the
 * instance, and the request id of the Request-Id header. Returns the body for further checks.
 */
export function expectProblem(response: LightMyRequestResponse, status: number, code: ProblemCode): Problem {
  expect(response.statusCode, response.body).toBe(status);
  expect(PROBLEMS[code].status, `${code} is a ${PROBLEMS[code].status} in the catalogue`).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  const requestId = response.headers['request-id'];
  expect(requestId).toMatch(/^req_[0-9a-f]{24}$/);
  const body = response.json<Problem>();
  expect(body).toMatchObject({
    type: problemType(code),
    title: PROBLEMS[code].title,
    status,
    detail: expect.stringMatching(/\S/),
    instance: requestPath(response),
    code,
    request_id: requestId,
  });
  return body;
}

/** The code of a problem response, for tests that only tell one refusal from another. */
export function problemCode(response: LightMyRequestResponse): string {
  return response.json<{ code: string }>().code;
}

function requestPath(response: LightMyRequestResponse): string {
  const url = response.raw.req.url ?? '';
  return url.split('?')[0] ?? url;
}
