import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

/**
 * Asks for a secret on a terminal without echoing it: readline runs with its output muted, so
 * line editing still works but nothing typed is shown. The prompt itself goes to stderr.
 */
export async function promptSecret(io: CliIo, question: string): Promise<string> {
  if (io.stdin.isTTY !== true) {
    throw new CliError('no terminal to ask for the password on', 'pipe it in with --password-stdin');
  }
  io.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const readline = createInterface({ input: io.stdin, output: muted, terminal: true });
  try {
    return await readline.question('');
  } finally {
    readline.close();
    io.stderr.write('\n');
  }
}

/** All of stdin, without its final line break (`--password-stdin`). */
export async function readAllStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
