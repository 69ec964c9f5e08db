import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** Server settings from the environment and the command line (`--port` wins over `PORT`). */
export interface ServerConfig {
  port: number;
  host: string;
  /** `postgres://...`, or the SQLite file under the data directory. */
  databaseUrl: string;
  initKeys: { server?: string; client?: string; console?: string };
  logLevel: string;
  /** Where SDKs reach this server (ID-list file URLs), e.g. `https://flags.example.com`; by default each request's host. */
  publicUrl?: string;
  /** The built web console to serve at `/`; default: apps/console/dist of this checkout. */
  consoleDir?: string;
  /** SDK requests per minute per client address and key (`SWITCHYARD_SDK_RATE_LIMIT`; 0: off). */
  sdkRateLimitPerMinute?: number;
  /**
   * Behind a reverse proxy: trust X-Forwarded-For for this many hops (`SWITCHYARD_TRUST_PROXY`),
   * so sign-in throttling and SDK rate limits count each client, not the proxy.
   */
  trustProxyHops?: number;
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  SWITCHYARD_HOST: z.string().default('0.0.0.0'),
  SWITCHYARD_DATA_DIR: z.string().default('.switchyard'),
  DATABASE_URL: z.string().optional(),
  SWITCHYARD_INIT_SERVER_KEY: z.string().optional(),
  SWITCHYARD_INIT_CLIENT_KEY: z.string().optional(),
  SWITCHYARD_INIT_ADMIN_KEY: z.string().optional(),
  LOG_LEVEL: z.string().default('info'),
  SWITCHYARD_CONSOLE_DIR: z.string().optional(),
  SWITCHYARD_SDK_RATE_LIMIT: z.coerce.number().int().min(0).optional(),
  SWITCHYARD_TRUST_PROXY: z.coerce.number().int().min(0).max(10).optional(),
  SWITCHYARD_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

export function readConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' } },
    allowPositionals: true,
    strict: false,
  });
  const parsed = envSchema.parse({ ...env, ...(typeof values.port === 'string' && { PORT: values.port }) });
  return {
    port: parsed.PORT,
    host: typeof values.host === 'string' ? values.host : parsed.SWITCHYARD_HOST,
    databaseUrl: parsed.DATABASE_URL || join(parsed.SWITCHYARD_DATA_DIR, 'switchyard.db'),
    initKeys: {
      server: parsed.SWITCHYARD_INIT_SERVER_KEY,
      client: parsed.SWITCHYARD_INIT_CLIENT_KEY,
      console: parsed.SWITCHYARD_INIT_ADMIN_KEY,
    },
    logLevel: parsed.LOG_LEVEL,
    ...(parsed.SWITCHYARD_PUBLIC_URL && { publicUrl: parsed.SWITCHYARD_PUBLIC_URL.replace(/\/+$/, '') }),
    ...(parsed.SWITCHYARD_CONSOLE_DIR && { consoleDir: parsed.SWITCHYARD_CONSOLE_DIR }),
    ...(parsed.SWITCHYARD_SDK_RATE_LIMIT !== undefined && {
      sdkRateLimitPerMinute: parsed.SWITCHYARD_SDK_RATE_LIMIT,
    }),
    ...(parsed.SWITCHYARD_TRUST_PROXY && { trustProxyHops: parsed.SWITCHYARD_TRUST_PROXY }),
  };
}
