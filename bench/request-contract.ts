// `npm run bench:request`: what the per-request contract costs in CPU, in tight loops on one core:
// making a request id, reading a traceparent, and validating a body (valid, invalid, and the
// largest invalid bodies). Prints a table and records it in docs/benchmarks.md.
import { randomBytes, randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { newRequestId } from '../src/http/request-id.ts';
import { traceIdOf } from '../src/http/trace-context.ts';
import { MAX_VALUES_FOR_ALL_ERRORS, validatorCompiler } from '../src/http/validation.ts';
import { toFieldErrors } from '../src/http/validation-errors.ts';
import { CreateLeadBody } from '../src/domains/leads/schemas.ts';
import { CreateSubscriptionBody } from '../src/domains/webhooks/schemas.ts';
import { writeBenchmarkSection } from './report.ts';

const ROUNDS = 5;

/** Median over rounds of the mean time per call, in ns. */
function measure(iterations: number, work: () => unknown): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) work();
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) work();
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

type Validate = ((data: unknown) => boolean) & { errors: unknown };
const compile = (schema: object) => (validatorCompiler as FastifySchemaCompiler<unknown>)({ schema, httpPart: 'body', method: 'POST', url: '/' } as never) as Validate;

/** Plain Ajv with the service's options, stopping at the first error or collecting all. */
function compileAjv(schema: object, allErrors: boolean): Validate {
  const ajv = new Ajv({ allErrors, strict: false, useDefaults: true, removeAdditional: false });
  (addFormatsModule as unknown as (ajv: Ajv) => Ajv)(ajv);
  ajv.removeKeyword('multipleOf');
  return ajv.compile(schema) as unknown as Validate;
}

const lead = { location_id: 'loc_01jd5m0d9d6v3fw8p3n4q7r2s1', name: 'Zoe', email: 'zoe@example.com', phone: '+15551234567', value: 19.99, status: 'new', notes: 'Asked for a quote.' };
const badLead = () => ({ location_id: 5, name: '', email: 'nope', value: '120', status: 'won', colour: 'red' });
const manyValues = (count: number) => ({ url: 'https://hooks.example.com/faro', events: Array.from({ length: count }, () => 1) });

const leadValidator = compile(CreateLeadBody);
const leadFirstError = compileAjv(CreateLeadBody, false);
const leadAllErrors = compileAjv(CreateLeadBody, true);
const subscriptionValidator = compile(CreateSubscriptionBody);
const fullBody = manyValues(32_000);

const rows: [string, number][] = [
  ['request id: `randomBytes(12)` hex per id (before)', measure(200_000, () => `req_${randomBytes(12).toString('hex')}`)],
  ['request id: pooled random bytes, 256 ids per refill (now)', measure(1_000_000, newRequestId)],
  ['request id: `crypto.randomUUID()` (for reference)', measure(1_000_000, randomUUID)],
  ['traceparent: valid, parsed', measure(1_000_000, () => traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'))],
  ['valid lead body: Ajv, first error', measure(500_000, () => leadFirstError({ ...lead }))],
  ['valid lead body: Ajv, allErrors', measure(500_000, () => leadAllErrors({ ...lead }))],
  ['valid lead body: the service\'s validator (NUL check + first-error pass)', measure(500_000, () => leadValidator({ ...lead }))],
  ['invalid lead body: both passes + `toFieldErrors`', measure(100_000, () => leadValidator(badLead()) || toFieldErrors(leadValidator.errors as never, 'body'))],
  [`invalid body of ${MAX_VALUES_FOR_ALL_ERRORS} values (every error)`, measure(200, () => subscriptionValidator(manyValues(MAX_VALUES_FOR_ALL_ERRORS - 3)))],
  ['invalid 64 KiB body of 32,000 values (first error only)', measure(50, () => subscriptionValidator(fullBody))],
];

const format = (ns: number) => (ns >= 100_000 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const table = ['| what | time per call |', '|---|---:|', ...rows.map(([name, ns]) => `| ${name} | ${format(ns)} |`)].join('\n');
console.log(table);
writeBenchmarkSection(
  'bench:request',
  `Median of ${ROUNDS} rounds of a tight loop per line, one process. On this shared machine absolute times vary 2-3x between runs; ` +
    `lines of one run compare. A valid body runs only the first-error pass; allErrors runs only for a body already refused, ` +
    `and only when it holds at most ${MAX_VALUES_FOR_ALL_ERRORS} values.\n\n${table}\n`,
);
