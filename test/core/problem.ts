import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { problemType } from '../../src/kit/errors.ts';
import type { ProblemCode, Problem } from '../../src/kit/errors.ts';

/** Assert an RFC 9457 problem response of this status and code, and return its body. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: ProblemCode): Problem {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const requestId = response.headers['request-id'];
  expect(requestId).toMatch(/^req_[0-9a-f]{24}$/);
  const body = response.json<Problem>();
  expect(body).toMatchObject({
    type: problemType(code),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance: expect.stringMatching(/^\//),
    code,
    request_id: requestId,
  });
  return body;
}
