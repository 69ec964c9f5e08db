/** Small input checks shared by the public functions. Each returns a reason, or null if fine. */

export function checkFinite(name: string, value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) ? null : `${name} must be a finite number`;
}

export function checkCount(name: string, value: unknown): string | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? null
    : `${name} must be a non-negative integer`;
}

export function checkProbability(name: string, value: unknown, { open = true } = {}): string | null {
  const fine = typeof value === 'number' && (open ? value > 0 && value < 1 : value >= 0 && value <= 1);
  return fine ? null : `${name} must be in ${open ? '(0, 1)' : '[0, 1]'}`;
}

export function checkPositive(name: string, value: unknown): string | null {
  return typeof value === 'number' && value > 0 && !Number.isNaN(value)
    ? null
    : `${name} must be a positive number`;
}

/** The first failing check, or null. */
export function firstProblem(...problems: (string | null)[]): string | null {
  for (const problem of problems) if (problem !== null) return problem;
  return null;
}
