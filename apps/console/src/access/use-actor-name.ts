import { useCallback } from 'react';
import type { User } from '../api/access-types.js';
import { useResource } from '../api/use-api.js';
import { formatActor } from '../format.js';
import { useAccess } from './access-context.js';

/**
 * Names an actor (`user:<id>`, `key:<id>`) as people read it: "you", a user's name (admins can
 * list users; others see a short id), a key by its id.
 */
export function useActorName(): (actor: string | null) => string {
  const access = useAccess();
  const users = useResource<{ users: User[] }>(access.role === 'admin' ? '/users' : null);
  const me = access.signer.type === 'user' ? `user:${access.signer.user.id}` : null;
  const list = users.data?.users;
  return useCallback(
    (actor: string | null) => {
      if (actor === null) return '—';
      if (actor === me) return 'you';
      if (actor.startsWith('user:')) {
        const id = actor.slice('user:'.length);
        const user = list?.find((candidate) => candidate.id === id);
        return user ? user.name : `user ${id.slice(0, 8)}`;
      }
      return formatActor(actor);
    },
    [me, list],
  );
}
