import type { Readable } from 'node:stream';

/** Where a stream of text goes: process.stdout in the real command, a buffer in tests. */
export interface OutputStream {
  write(text: string): unknown;
  /** A terminal: colours and progress bars are drawn only there. */
  isTTY?: boolean;
  columns?: number;
}

/**
 * Everything a command touches of its process, so `run(argv, io)` can be called in-process by
 * tests and scripts, and the real binary passes the process's own streams.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Colours on a terminal unless NO_COLOR is set (https://no-color.org), or FORCE_COLOR asks for them. */
export function wantsColor(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
