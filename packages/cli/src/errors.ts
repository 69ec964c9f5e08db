/**
 * A failure to report to the person at the terminal: what went wrong and, when we know it, the
 * fix. `exitCode` 1 is a failure, 2 a usage error (the command line itself was wrong).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line was wrong (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = 'UsageError';
  }
}
