import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerConfigAsCode } from './commands/config-as-code.js';
import { registerExperiments } from './commands/experiments.js';
import { registerGates } from './commands/gates.js';
import { registerKeys } from './commands/keys.js';
import { registerLocal } from './commands/local.js';
import { registerPulse } from './commands/pulse.js';
import { CommandContext } from './context.js';
import { CliError } from './errors.js';
import { type CliIo, processIo } from './io.js';

/** The package's version, read from its package.json (next to src/ and dist/ alike). */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const OVERVIEW = `
Server and key: --url / SWITCHYARD_URL (default http://127.0.0.1:8080) and a console key from
--key / SWITCHYARD_KEY, or {"url": ..., "key": ...} in ~/.config/switchyard/config.json
(SWITCHYARD_CONFIG names another file). start, migrate and admin work on the local database.

Incident:  switchyard gates kill new_checkout --reason "INC-42"
GitOps:    switchyard export -o switchyard/  ->  review in a pull request  ->  switchyard apply -f switchyard/

Exit codes: 0 done, 1 failed, 2 the command line was wrong.`;

function buildProgram(context: CommandContext): Command {
  const { io } = context;
  const program = new Command('switchyard')
    .description('Self-hosted feature gates, progressive rollouts and experiment analysis.')
    .version(VERSION, '-V, --version')
    .option('--url <url>', 'the Switchyard server (SWITCHYARD_URL; default http://127.0.0.1:8080)')
    .option('--key <key>', 'a console key, console-... (SWITCHYARD_KEY)')
    .option('--config <file>', 'a JSON file with "url" and "key" (SWITCHYARD_CONFIG)')
    .addHelpText('after', OVERVIEW)
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(context.err.style('red', text)),
    })
    .exitOverride();
  registerLocal(program, context);
  registerKeys(program, context);
  registerGates(program, context);
  registerExperiments(program, context);
  registerPulse(program, context);
  registerConfigAsCode(program, context);
  // Subcommands report errors and help through the same streams, and never exit the process.
  const configure = (command: Command) => {
    for (const sub of command.commands) {
      sub.configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
        outputError: (text, write) => write(context.err.style('red', text)),
      });
      sub.exitOverride().showHelpAfterError('(add --help for usage)').showSuggestionAfterError();
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/**
 * Runs the `switchyard` command with `argv` (without node and the script) on `io`, and resolves
 * with the exit code: 0 done, 1 failed, 2 usage error. Never exits the process itself, so tests
 * and scripts can call it in-process.
 *
 * @example
 * const code = await run(['gates', 'kill', 'new_checkout'], processIo());
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const context = new CommandContext(io);
  const program = buildProgram(context);
  if (argv.length === 0) {
    io.stdout.write(program.helpInformation());
    io.stdout.write(`${OVERVIEW.trimStart()}\n`);
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // `switchyard gates` alone prints the group's help (as an error: something is missing).
      if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
      return 2;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${context.err.style(['bold', 'red'], 'error:')} ${error.message}\n`);
      if (error.hint) io.stderr.write(`${context.err.style('dim', 'hint:')} ${error.hint}\n`);
      return error.exitCode;
    }
    io.stderr.write(
      `${context.err.style(['bold', 'red'], 'error:')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
