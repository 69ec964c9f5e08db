/**
 * The server as a child process of the benchmark, started through @switchyard/server's exports
 * with the environment the parent gives (port, data directory, keys): the same as
 * `switchyard-server`, without reaching into another package's files.
 */
import { readConfig, startServer } from '@switchyard/server';

const server = await startServer(readConfig(process.argv.slice(2), process.env));
const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
