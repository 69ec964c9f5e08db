/**
 * Domain errors: expected failures with a stable `code`. Services throw these; one mapper at
 * the HTTP edge (http/error-handler.ts) turns them into statuses and `{ error: { code, message, details } }`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {}
export class ConflictError extends DomainError {}
export class InvalidInputError extends DomainError {}
export class UnauthorizedError extends DomainError {}
export class ForbiddenError extends DomainError {}
/** A request body over the route's limit (413). */
export class PayloadTooLargeError extends DomainError {}
/** A body in a format the route does not read (415). */
export class UnsupportedMediaTypeError extends DomainError {}
/** A `Range` that starts at or past the end of the file (416). */
export class RangeNotSatisfiableError extends DomainError {}
/** The server cannot take more work now; the client should retry after `retryAfterSeconds` (429). */
export class OverloadedError extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, { retryAfterSeconds });
  }
}
