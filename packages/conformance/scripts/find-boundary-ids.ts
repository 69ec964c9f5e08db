/**
 * Brute-forces unit IDs whose bucket is exactly a given value, with statsig-node 6.5.2's own
 * hash, for boundary cases in the vector inputs (e.g. a user in pass-percentage bucket 0 or 9999).
 *
 *   npx tsx packages/conformance/scripts/find-boundary-ids.ts <hashPrefix> <modulo> <bucket> [idPrefix] [count]
 *
 * The hashed string is `<hashPrefix><id>`, so for a pass percentage pass `<specSalt>.<ruleSalt>.`
 * with modulo 10000, and for a user_bucket condition pass `<salt>.` with modulo 1000. IDs are
 * tried as `<idPrefix>0`, `<idPrefix>1`, ... and the first `count` hits (default 1) are printed.
 * The generator re-verifies every such claim listed in a case's `checks`.
 */
import { computeUserHash } from 'statsig-node/dist/utils/EvaluatorUtils.js';

function findBoundaryIDs(
  hashPrefix: string,
  modulo: number,
  bucket: number,
  idPrefix = 'user-',
  count = 1,
  limit = 10_000_000,
): string[] {
  const found: string[] = [];
  for (let i = 0; i < limit && found.length < count; i++) {
    const id = `${idPrefix}${i}`;
    if (Number(computeUserHash(`${hashPrefix}${id}`) % BigInt(modulo)) === bucket) found.push(id);
  }
  return found;
}

const [hashPrefix, modulo, bucket, idPrefix, count] = process.argv.slice(2);
if (hashPrefix === undefined || modulo === undefined || bucket === undefined) {
  console.error('usage: find-boundary-ids.ts <hashPrefix> <modulo> <bucket> [idPrefix] [count]');
  process.exitCode = 2;
} else {
  for (const id of findBoundaryIDs(
    hashPrefix,
    Number(modulo),
    Number(bucket),
    idPrefix,
    Number(count ?? 1),
  )) {
    console.log(id);
  }
}
