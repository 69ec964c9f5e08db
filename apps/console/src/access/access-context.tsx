import { createContext, useContext } from 'react';
import { type Role, roleAtLeast, type Session, type User } from '../api/access-types.js';

/**
 * Who is signed in, so pages can disable what the server would refuse anyway and say why
 * before anyone tries. The server decides; this only spares people a 403.
 */
export type Signer =
  | { type: 'user'; user: User }
  /** A console key: `read` keys act as viewers, `write` keys as admins. */
  | { type: 'key'; prefix: string; access: 'read' | 'write' };

export interface Access {
  signer: Signer;
  role: Role;
}

/**
 * Outside a provider (component tests of a single page) everything is allowed, as with a write
 * key: the page under test shows its edit controls.
 */
export const FULL_ACCESS: Access = {
  signer: { type: 'key', prefix: 'console-', access: 'write' },
  role: 'admin',
};

export const AccessContext = createContext<Access>(FULL_ACCESS);

export function useAccess(): Access {
  return useContext(AccessContext);
}

export interface Permission {
  allowed: boolean;
  /** Why not, in words for a tooltip or a note next to the control; undefined when allowed. */
  reason: string | undefined;
}

/** Why `access` cannot do what needs `needed`, or undefined when it can. */
export function refusalOf(access: Access, needed: Role): string | undefined {
  if (roleAtLeast(access.role, needed)) return undefined;
  if (access.signer.type === 'key') {
    return needed === 'admin'
      ? 'Only admins can do this, and this console key is read-only.'
      : 'This console key is read-only: sign in as an editor (or with a write key) to change things.';
  }
  const article = access.role === 'viewer' ? 'a' : 'an';
  return needed === 'admin'
    ? `Only admins can do this; you are ${article} ${access.role}.`
    : `You are ${article} ${access.role}: you can look at everything but not change it. Ask an admin for the editor role.`;
}

/** Whether the signed-in person (or key) holds `needed`, and why not. */
export function usePermission(needed: Role = 'editor'): Permission {
  const reason = refusalOf(useAccess(), needed);
  return { allowed: reason === undefined, reason };
}

/**
 * Replaces the session the app holds (a password change starts a new one, with a new CSRF
 * token). Absent outside the app.
 */
export const SessionUpdateContext = createContext<((session: Session) => void) | null>(null);
