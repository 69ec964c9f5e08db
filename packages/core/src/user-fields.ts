import type { StatsigUser } from './types.js';

type Lookup = Record<string, unknown>;

/** First key of `object` equal to `lowerKey` ignoring case, in key order (statsig-node's rule). */
function findCaseInsensitive(object: unknown, lowerKey: string): unknown {
  if (object == null || typeof object !== 'object') return undefined;
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() === lowerKey) return (object as Lookup)[key];
  }
  return undefined;
}

/** Resolves the unit ID for an idType: `userID`, else `customIDs[idType]` (exact key, then any case). */
export type UnitIDResolver = (user: StatsigUser) => unknown;

export function createUnitIDResolver(idType: unknown): UnitIDResolver {
  if (typeof idType !== 'string' || idType.toLowerCase() === 'userid') {
    return (user) => user?.userID;
  }
  const lower = idType.toLowerCase();
  return (user) => {
    const ids = user?.customIDs;
    if (ids == null) return undefined;
    const exact = (ids as Lookup)[idType];
    return exact !== undefined ? exact : findCaseInsensitive(ids, lower);
  };
}

/**
 * Reads a user attribute as `user_field` conditions do: the first non-null of user[field],
 * user[lower], custom[field], custom[lower], privateAttributes[field], privateAttributes[lower].
 * Only the key is lowercased, never the value.
 */
export type FieldReader = (user: StatsigUser) => unknown;

export function createFieldReader(field: unknown): FieldReader {
  if (field == null) return () => null;
  const exact = String(field);
  const lower = exact.toLowerCase();
  return (user) => {
    if (typeof user !== 'object' || user === null) return null;
    const top = user as Lookup;
    const custom = user.custom as Lookup | null | undefined;
    const hidden = user.privateAttributes as Lookup | null | undefined;
    return (
      top[exact] ?? top[lower] ?? custom?.[exact] ?? custom?.[lower] ?? hidden?.[exact] ?? hidden?.[lower]
    );
  };
}

/** `environment_field`: the environment key matched case-insensitively. */
export function readEnvironmentField(environment: unknown, lowerField: string): unknown {
  return findCaseInsensitive(environment, lowerField);
}
