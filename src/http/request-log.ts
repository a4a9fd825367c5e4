import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One access-log line per request, written when the response has gone out: the request (method,
 * redacted URL, address), the status and the time taken, under the request's id. Fastify's default
 * is two lines (`incoming request`, then `request completed`); in production each line is
 * serialised and written to stdout on its own (bench:api in docs/benchmarks.md measures the cost). A request whose response never finishes (the client went away first)
 * gets no line; what the service logged about it while working still carries its id.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
