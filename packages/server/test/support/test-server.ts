import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, type ServerConfig, startServer } from '../../src/index.js';

/**
 * A real server listening on 127.0.0.1 (random port) with a SQLite file in a fresh temporary
 * directory, which `close()` removes.
 */
export async function startTestServer(initKeys: ServerConfig['initKeys']): Promise<RunningServer> {
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-test-'));
  const server = await startServer(
    { port: 0, host: '127.0.0.1', databaseUrl: join(directory, 'switchyard.db'), initKeys, logLevel: 'warn' },
    false,
  );
  return {
    ...server,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
