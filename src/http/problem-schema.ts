import { Type } from 'typebox';
import { PROBLEMS, type ProblemCode } from '../kit/errors.ts';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri', examples: ['https://docs.faro.app/problems/validation-failed'] }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.Enum(Object.keys(PROBLEMS) as ProblemCode[], { description: 'Stable machine-readable error code.' }),
    request_id: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { title: 'Problem', description: 'RFC 9457 problem details.', additionalProperties: true },
);

/**
 * A 409 the operation can answer because of the resource's state (e.g. a disabled subscription),
 * beyond the ones every route may give: spread into the route's `response` so the spec declares it.
 */
export const ConflictResponse = { 409: ProblemSchema };

/** Error responses every route may give; the error handler serialises them itself. */
export const ProblemResponses = {
  '4xx': ProblemSchema,
  '5xx': ProblemSchema,
};
