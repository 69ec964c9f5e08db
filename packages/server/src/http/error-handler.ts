import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  RangeNotSatisfiableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../errors.js';
import { redactUrl } from './redact-url.js';

const STATUS_BY_ERROR = new Map<new (...args: never[]) => DomainError, number>([
  [InvalidInputError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [RangeNotSatisfiableError, 416],
  [OverloadedError, 429],
]);

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** The one place where errors become HTTP responses: `{ error: { code, message, details } }`. */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof DomainError) {
    const status = [...STATUS_BY_ERROR].find(([type]) => error instanceof type)?.[1] ?? 400;
    if (error instanceof OverloadedError) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.status(status).send(body(error.code, error.message, error.details));
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      field: [
        error.validationContext,
        ...(issue.instancePath ? issue.instancePath.split('/').filter(Boolean) : []),
      ].join('.'),
      message: issue.message,
    }));
    const first = issues[0];
    return reply.status(400).send(
      body('invalid_request', first ? `${first.field}: ${first.message}` : 'invalid request', {
        field: first?.field,
        issues,
      }),
    );
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    const code = ((error as FastifyError).code ?? 'bad_request').toLowerCase();
    // Fastify's messages may quote the URL (a bad %-escape), which can carry a key.
    return reply.status(status).send(body(code, redactUrl(error.message)));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(body('internal', 'internal server error'));
}

function body(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return details ? { error: { code, message, details } } : { error: { code, message } };
}
