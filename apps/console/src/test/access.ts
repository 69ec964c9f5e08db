import type { Access } from '../access/access-context.js';
import type { Role } from '../api/access-types.js';

/** Signed in as a person with `role` (id `u1`, Ada). */
export function signedInAs(role: Role, id = 'u1'): Access {
  return {
    signer: {
      type: 'user',
      user: { id, email: 'ada@example.com', name: 'Ada', role, createdAt: 0, disabledAt: null },
    },
    role,
  };
}

/** Signed in with a read-only console key: a viewer. */
export const READ_ONLY_KEY: Access = {
  signer: { type: 'key', prefix: 'console-abcd', access: 'read' },
  role: 'viewer',
};
