/**
 * Loads statsig-node 6.5.2 behind a network guard, for end-to-end tests against a server on
 * 127.0.0.1 (the approach of packages/core/test/support/statsig-node-oracle.ts, opened to
 * loopback).
 *
 * statsig-node's only HTTP client is node-fetch, taken once by utils/safeFetch when the SDK
 * loads; its `sdk_exception` reporter posts to statsigapi.net through it whatever `api` says
 * (protocol doc §0.2). So node-fetch is replaced in the require cache before the SDK loads, and
 * `globalThis.fetch` too: requests to 127.0.0.1 go through (and statsig-node's are recorded
 * with their response status), anything else is recorded in `blockedRequests` and rejected.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type StatsigModule = typeof import('statsig-node');
type FetchLike = (
  input: unknown,
  init?: { method?: string; headers?: unknown },
) => Promise<{ status: number }>;

/** The only host requests may go to. */
const ALLOWED_HOST = '127.0.0.1';

/** URLs anything in this process tried to fetch off 127.0.0.1 (each was rejected). */
export const blockedRequests: string[] = [];

/** statsig-node's requests to 127.0.0.1, in order, with the status (null: no response yet, or `error`). */
export interface SdkRequest {
  method: string;
  url: string;
  /** The request's Content-Encoding header (`gzip` on first log_event attempts). */
  contentEncoding: string | null;
  status: number | null;
  /** Why the request failed without a response. */
  error: string | null;
}
export const sdkRequests: SdkRequest[] = [];

let loaded: StatsigModule | undefined;

function urlOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  const url = (input as { url?: unknown } | null)?.url;
  return typeof url === 'string' ? url : String(input);
}

function isAllowed(url: string): boolean {
  try {
    return new URL(url).hostname === ALLOWED_HOST;
  } catch {
    return false;
  }
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name.toLowerCase()) return String(value);
  }
  return null;
}

function guard(real: FetchLike, record: boolean): FetchLike {
  return (input, init) => {
    const url = urlOf(input);
    if (!isAllowed(url)) {
      blockedRequests.push(url);
      return Promise.reject(new Error(`network blocked in the compatibility test: ${url}`));
    }
    if (!record) return real(input, init);
    const entry: SdkRequest = {
      method: init?.method ?? 'GET',
      url,
      contentEncoding: headerValue(init?.headers, 'content-encoding'),
      status: null,
      error: null,
    };
    sdkRequests.push(entry);
    return real(input, init).then(
      (response) => {
        entry.status = response.status;
        return response;
      },
      (error: unknown) => {
        entry.error = String(error);
        throw error;
      },
    );
  };
}

/** statsig-node, loaded behind the guard; it must not have been loaded before in this process. */
export function loadStatsigNode(): StatsigModule {
  if (loaded) return loaded;
  const entry = require.resolve('statsig-node');
  if (require.cache[entry]) {
    throw new Error('statsig-node was loaded before the network guard; load it only through this module');
  }
  const sdkRequire = createRequire(entry);
  const fetchPath = sdkRequire.resolve('node-fetch');
  const nodeFetch = sdkRequire(fetchPath) as FetchLike;
  const cached = require.cache[fetchPath];
  if (!cached) throw new Error('node-fetch did not load');
  // safeFetch takes `require('node-fetch')` (or its `.default`, absent here) once, at load.
  cached.exports = guard(nodeFetch, true);
  globalThis.fetch = guard(globalThis.fetch as unknown as FetchLike, false) as unknown as typeof fetch;
  loaded = sdkRequire(entry) as StatsigModule;
  return loaded;
}
