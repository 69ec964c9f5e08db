/**
 * statsig-node 6.5.2 loaded so that it can reach 127.0.0.1 only. Its `sdk_exception` reporter
 * posts to statsigapi.net through node-fetch whatever `api` says (protocol doc §0.2), so
 * node-fetch is replaced in the require cache before the SDK loads: requests to 127.0.0.1 pass,
 * anything else is recorded in `blockedRequests` and rejected. (The server package's tests use
 * the same approach; test folders are not shared between packages.)
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type StatsigModule = typeof import('statsig-node');
type FetchLike = (input: unknown, init?: unknown) => Promise<unknown>;

export const blockedRequests: string[] = [];

let loaded: StatsigModule | undefined;

function urlOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  const url = (input as { url?: unknown } | null)?.url;
  return typeof url === 'string' ? url : String(input);
}

function guard(real: FetchLike): FetchLike {
  return (input, init) => {
    const url = urlOf(input);
    let host = '';
    try {
      host = new URL(url).hostname;
    } catch {
      // Not a URL: blocked below.
    }
    if (host !== '127.0.0.1') {
      blockedRequests.push(url);
      return Promise.reject(new Error(`network blocked in tests: ${url}`));
    }
    return real(input, init);
  };
}

/** statsig-node behind the guard; it must not have been loaded before in this process. */
export function loadStatsigNode(): StatsigModule {
  if (loaded) return loaded;
  const entry = require.resolve('statsig-node');
  if (require.cache[entry]) throw new Error('statsig-node was loaded before the network guard');
  const sdkRequire = createRequire(entry);
  const fetchPath = sdkRequire.resolve('node-fetch');
  const nodeFetch = sdkRequire(fetchPath) as FetchLike;
  const cached = require.cache[fetchPath];
  if (!cached) throw new Error('node-fetch did not load');
  cached.exports = guard(nodeFetch);
  loaded = sdkRequire(entry) as StatsigModule;
  return loaded;
}
