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
