import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError, UsageError } from './errors.js';
import type { CliIo } from './io.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const CONFIG_FIELDS = ['url', 'key'] as const;

/** Where the CLI reaches the server, and with which console key (and where each came from, for errors). */
export interface Connection {
  url: string;
  key: string | undefined;
  /** `--key`, `SWITCHYARD_KEY`, or the config file's path: named in a 401's hint. */
  keySource: string | undefined;
  configPath: string;
}

export interface ConnectionFlags {
  url?: string;
  key?: string;
  config?: string;
}

/** `$SWITCHYARD_CONFIG`, else `$XDG_CONFIG_HOME/switchyard/config.json` (`~/.config/...`). */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.SWITCHYARD_CONFIG) return env.SWITCHYARD_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'switchyard', 'config.json');
}

function readConfigFile(path: string, required: boolean): { url?: string; key?: string } {
  if (!existsSync(path)) {
    if (required) throw new UsageError(`config file ${path} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(
      `config file ${path} is not valid JSON: ${(error as Error).message}`,
      'it holds {"url": "http://127.0.0.1:8080", "key": "console-..."}',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(
      `config file ${path} must hold a JSON object`,
      'e.g. {"url": "...", "key": "console-..."}',
    );
  }
  const record = parsed as Record<string, unknown>;
  for (const [field, value] of Object.entries(record)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(field)) {
      throw new CliError(
        `config file ${path}: unknown field "${field}"`,
        `it may hold ${CONFIG_FIELDS.join(' and ')}`,
      );
    }
    if (typeof value !== 'string') throw new CliError(`config file ${path}: "${field}" must be a string`);
  }
  return record as { url?: string; key?: string };
}

/** The base URL as given, checked, without a trailing slash or `/api/v1` (both are common pastes). */
function normaliseUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source}: "${raw}" is not a URL`, `e.g. ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source}: "${raw}" is not an http:// or https:// URL`);
  }
  return url.href.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/**
 * The server and key: `--url` / `--key` first, then `SWITCHYARD_URL` / `SWITCHYARD_KEY`, then the
 * config file; the URL defaults to the local server.
 */
export function resolveConnection(flags: ConnectionFlags, io: CliIo): Connection {
  const configPath = flags.config ? resolve(io.cwd, flags.config) : defaultConfigPath(io.env);
  const file = readConfigFile(
    configPath,
    flags.config !== undefined || io.env.SWITCHYARD_CONFIG !== undefined,
  );
  const [rawUrl, urlSource] = flags.url
    ? [flags.url, '--url']
    : io.env.SWITCHYARD_URL
      ? [io.env.SWITCHYARD_URL, 'SWITCHYARD_URL']
      : file.url
        ? [file.url, configPath]
        : [DEFAULT_URL, 'the default URL'];
  const [key, keySource] = flags.key
    ? [flags.key, '--key']
    : io.env.SWITCHYARD_KEY
      ? [io.env.SWITCHYARD_KEY, 'SWITCHYARD_KEY']
      : file.key
        ? [file.key, configPath]
        : [undefined, undefined];
  if (key !== undefined) checkKeyKind(key.trim(), keySource as string);
  return { url: normaliseUrl(rawUrl, urlSource), key: key?.trim(), keySource, configPath };
}

function checkKeyKind(key: string, source: string): void {
  if (key.startsWith('console-')) return;
  const kind = key.startsWith('secret-')
    ? 'a server key'
    : key.startsWith('client-')
      ? 'a client key'
      : 'not a console key';
  throw new UsageError(
    `the key from ${source} is ${kind}: the CLI uses the authoring API, which takes console keys (console-...)`,
    'server and client keys are for SDKs; create a console key with `switchyard keys create --kind console` or in the console',
  );
}
