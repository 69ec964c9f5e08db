import type { Session } from '../api/access-types.js';
import { ApiClient, type ApiError, toApiError } from '../api/client.js';
import type { Access } from './access-context.js';

/**
 * How this browser is signed in: a person's session (the cookie is httpOnly; the CSRF token
 * lives here, in memory, and is read again with GET /auth/session after a reload), or a console
 * key (kept in localStorage until sign-out).
 */
export type SignedIn =
  | { type: 'session'; session: Session }
  | { type: 'key'; key: string; access: 'read' | 'write' };

export function clientFor(signedIn: SignedIn): ApiClient {
  return signedIn.type === 'session'
    ? new ApiClient({
        type: 'session',
        csrfToken: signedIn.session.csrfToken,
        csrfHeader: signedIn.session.csrfHeader,
      })
    : new ApiClient({ type: 'key', key: signedIn.key });
}

export function accessOf(signedIn: SignedIn): Access {
  if (signedIn.type === 'session') {
    return { signer: { type: 'user', user: signedIn.session.user }, role: signedIn.session.user.role };
  }
  return {
    // Key secrets start with their kind and four more characters: the prefix the keys page lists.
    signer: { type: 'key', prefix: signedIn.key.slice(0, 'console-'.length + 4), access: signedIn.access },
    role: signedIn.access === 'read' ? 'viewer' : 'admin',
  };
}

/**
 * Checks a console key and finds its access. There is no "who am I" for keys, so: listing keys
 * is for admins, which a write key is; a read-only key is refused with `insufficient_role`
 * (still a valid key). Anything else (401, another kind of key) is thrown as the server said it.
 */
export async function checkKey(key: string): Promise<SignedIn> {
  try {
    await new ApiClient({ type: 'key', key }).get('/keys');
    return { type: 'key', key, access: 'write' };
  } catch (caught) {
    const error = toApiError(caught);
    if (error.status === 403 && error.code === 'insufficient_role')
      return { type: 'key', key, access: 'read' };
    throw error;
  }
}

export type Restored =
  | { signedIn: SignedIn }
  | { signedIn: null; setupRequired: boolean; reason?: ApiError | undefined };

/** Whether the first admin still has to be set up (false when the server cannot be asked). */
async function signedOut(reason?: ApiError): Promise<Restored> {
  try {
    const { setupRequired } = await new ApiClient().get<{ setupRequired: boolean }>('/auth/status');
    return { signedIn: null, setupRequired, reason };
  } catch (caught) {
    return { signedIn: null, setupRequired: false, reason: reason ?? toApiError(caught) };
  }
}

/**
 * On page load: the stored key if there is one, else the session cookie (GET /auth/session
 * answers the CSRF token again), else the sign-in page, or the first-admin setup.
 */
export async function restoreSignIn(storedKey: string | null): Promise<Restored> {
  if (storedKey) {
    try {
      return { signedIn: await checkKey(storedKey) };
    } catch (caught) {
      const error = toApiError(caught);
      if (error.status === 401 || error.status === 403) return signedOut(error);
      // The server could not be asked: keep the key; pages say what fails, and the server
      // refuses what the key may not do.
      return { signedIn: { type: 'key', key: storedKey, access: 'write' } };
    }
  }
  try {
    return { signedIn: { type: 'session', session: await new ApiClient().get<Session>('/auth/session') } };
  } catch (caught) {
    const error = toApiError(caught);
    // 401 here is the normal "not signed in": nothing to explain.
    return signedOut(error.status === 401 ? undefined : error);
  }
}
