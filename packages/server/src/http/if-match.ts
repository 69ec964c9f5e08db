/**
 * The version a write expects (optimistic concurrency): `version` from the body when given,
 * else `If-Match: "3"` (or `W/"3"`); undefined when neither is sent. An If-Match that is not
 * a version can match nothing, so it becomes -1 (a 409).
 */
export function expectedVersion(ifMatch: string | undefined, bodyVersion?: number): number | undefined {
  if (bodyVersion !== undefined) return bodyVersion;
  if (!ifMatch) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim());
  return match ? Number(match[1]) : -1;
}
