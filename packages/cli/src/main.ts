#!/usr/bin/env node
import { processIo } from './io.js';
import { run } from './run.js';

/** Ends the process once its output is flushed; a handle left open (a server's socket) cannot keep it alive. */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

run(process.argv.slice(2), processIo()).then(finish, (error: unknown) => {
  console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
  finish(1);
});
