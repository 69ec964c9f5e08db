#!/usr/bin/env node
import { readConfig } from './config.js';
import { startServer } from './start-server.js';

const server = await startServer(readConfig(process.argv.slice(2), process.env));
server.app.http.log.info(`Switchyard listening on ${server.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.app.http.log.info(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.http.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
