import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { ConfigSpecs } from '@switchyard/core';
import { ERROR_CODES, SwitchyardError } from './errors.js';
import type { SavedIdLists } from './id-lists.js';
import { parseConfigSpecs } from './spec-store.js';

/** Bump when the file's shape changes; other formats are ignored, never misread. */
const CACHE_FORMAT = 'switchyard-node-cache/1';

export interface CacheContents {
  /** When this instance wrote the file (ms). */
  savedAt: number;
  revision: number | null;
  specs: ConfigSpecs;
  idLists: SavedIdLists;
}

/**
 * Writes the file atomically: a temporary file in the same directory, then a rename, so a
 * reader (another process starting while the server is down) never sees half a file.
 */
export async function writeCacheFile(path: string, contents: CacheContents): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify({ format: CACHE_FORMAT, ...contents }), { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw new SwitchyardError(
      ERROR_CODES.cache,
      `cannot write the cache file ${path}: ${(error as Error).message}`,
    );
  }
}

/** Reads a cache file written by `writeCacheFile`; throws a SwitchyardError when there is none usable. */
export async function readCacheFile(path: string): Promise<CacheContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SwitchyardError(
      ERROR_CODES.cache,
      `cannot read the cache file ${path}: ${(error as Error).message}`,
    );
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new SwitchyardError(ERROR_CODES.cache, `the cache file ${path} is not JSON`);
  }
  if (parsed?.format !== CACHE_FORMAT) {
    throw new SwitchyardError(ERROR_CODES.cache, `the cache file ${path} has an unknown format`);
  }
  let specs: ConfigSpecs;
  try {
    specs = parseConfigSpecs(parsed.specs);
  } catch (error) {
    throw new SwitchyardError(ERROR_CODES.cache, `the cache file ${path}: ${(error as Error).message}`);
  }
  const revision = Number.isInteger(parsed.revision) ? (parsed.revision as number) : null;
  const idLists =
    parsed.idLists && typeof parsed.idLists === 'object' ? (parsed.idLists as SavedIdLists) : {};
  return { savedAt: Number(parsed.savedAt) || 0, revision, specs, idLists };
}
