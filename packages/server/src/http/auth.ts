import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { ApiKey, KeyKind, KeyStore } from '../store/key-store.js';

/** The secret from `Authorization: Bearer <key>` or Statsig's `STATSIG-API-KEY` header. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  const statsig = request.headers['statsig-api-key'];
  return typeof statsig === 'string' ? statsig : undefined;
}

/** Resolves the key and checks its kind; a client key can never reach server or console routes. */
export async function authenticate(
  keys: KeyStore,
  secret: string | undefined,
  allowed: readonly KeyKind[],
): Promise<ApiKey> {
  if (!secret) throw new UnauthorizedError('unauthorized', 'an API key is required');
  const key = await keys.findBySecret(secret);
  if (!key) throw new UnauthorizedError('unauthorized', 'unknown or revoked API key');
  if (!allowed.includes(key.kind)) {
    throw new ForbiddenError(
      'forbidden',
      `a ${key.kind} key cannot use this endpoint (needs ${allowed.join(' or ')})`,
    );
  }
  return key;
}
