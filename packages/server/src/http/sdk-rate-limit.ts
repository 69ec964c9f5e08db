import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { OverloadedError } from '../errors.js';
import { presentedKey } from './auth.js';

export interface SdkRateLimitOptions {
  /** Requests one client (address and key) may make to the SDK endpoints per window; 0 turns it off. */
  max?: number;
  windowMs?: number;
}

/**
 * Default: 12,000 requests a minute (200/s) per address and key. A well-behaved SDK makes a few
 * requests a minute; this stops a client stuck in a loop or a flood, while a thousand SDK
 * instances behind one NAT address still fit. Event ingestion has its own backpressure (429).
 */
export const DEFAULT_SDK_RATE_LIMIT = { max: 12_000, windowMs: 60_000 };

/**
 * Rate limits on the SDK endpoints (`/v1/*`, not the long-lived stream or CORS preflights),
 * per client address and key, in memory per instance. Must be registered before the SDK routes.
 */
export async function registerSdkRateLimit(http: FastifyInstance, options: SdkRateLimitOptions = {}) {
  const { max, windowMs } = { ...DEFAULT_SDK_RATE_LIMIT, ...options };
  if (max <= 0) return;
  http.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/') || route.url === '/v1/stream' || route.method === 'OPTIONS') return;
    route.config = { ...route.config, rateLimit: { max, timeWindow: windowMs } };
  });
  await http.register(rateLimit, {
    global: false,
    // A key's hash, never the key: the limiter's store is not a place for secrets.
    keyGenerator: (request) => {
      const query = request.query as { k?: unknown } | undefined;
      // statsig-node puts its key in the download URL's file name.
      const file = (request.params as { file?: unknown } | undefined)?.file;
      const key =
        presentedKey(request) ??
        (typeof query?.k === 'string' ? query.k : typeof file === 'string' ? file : '');
      return `${request.ip}|${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
    },
    errorResponseBuilder: (_request, context) =>
      new OverloadedError(
        'rate_limited',
        `more than ${context.max} requests in ${Math.round(windowMs / 1000)} s from this client; slow down`,
        Math.max(1, Math.ceil(context.ttl / 1000)),
      ),
  });
}
