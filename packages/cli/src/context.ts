import { type Command, InvalidArgumentError } from 'commander';
import { ApiClient } from './api-client.js';
import { type ConnectionFlags, resolveConnection } from './connection.js';
import type { CliIo } from './io.js';
import { Printer } from './output.js';

/** What every command gets: the process's streams, printers for them, and the API. */
export class CommandContext {
  readonly out: Printer;
  readonly err: Printer;
  exitCode = 0;

  constructor(readonly io: CliIo) {
    this.out = new Printer(io, io.stdout);
    this.err = new Printer(io, io.stderr);
  }

  /** The authoring API, reached as the global options (`--url`, `--key`, `--config`) say. */
  api(command: Command): ApiClient {
    return new ApiClient(resolveConnection(command.optsWithGlobals<ConnectionFlags>(), this.io));
  }
}

/** A percentage argument: a number from 0 to 100. */
export function parsePercentage(value: string): number {
  const number = Number(value.replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 100) {
    throw new InvalidArgumentError('a percentage from 0 to 100, e.g. 25 or 2.5');
  }
  return number;
}

/** Repeatable options (`--env a --env b`) and comma lists (`--env a,b`) alike. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ];
}

/** Options every write command takes. */
export const REASON_HELP = 'why, for the audit log (e.g. an incident number)';
