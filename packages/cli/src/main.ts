#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readConfig, startServer } from '@switchyard/server';
import { runDemo } from './demo/run-demo.js';

const HELP = `switchyard: self-hosted feature gates, progressive rollouts and experiment analysis

Usage:
  switchyard start [--port N] [--host H]   Run the server (SQLite in SWITCHYARD_DATA_DIR, or DATABASE_URL)
  switchyard demo [--data-dir DIR]         Play the release story end to end on a fresh database
                                           (employees -> 5% canary -> guardrail rollback), in about a minute
  switchyard --help                        This text
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: { 'data-dir': { type: 'string', default: '.switchyard-demo' }, help: { type: 'boolean' } },
      });
      if (values.help) {
        console.log(
          'switchyard demo [--data-dir DIR]: the release story on a fresh embedded database (DIR is emptied first and kept afterwards).',
        );
        return 0;
      }
      const report = await runDemo({ dataDir: values['data-dir'] });
      return report.rolledBack ? 0 : 1;
    }
    case 'start': {
      const server = await startServer(readConfig(rest, process.env));
      server.app.http.log.info(`Switchyard listening on ${server.url}`);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        });
      }
      return new Promise<number>(() => {});
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(HELP);
      return 0;
    default:
      console.error(`switchyard: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
