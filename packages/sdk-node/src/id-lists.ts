import { type IdListSource, idListEntryHash } from '@switchyard/core';
import { ERROR_CODES, SwitchyardError } from './errors.js';

/** One list as `get_id_lists` announces it (protocol doc §6). */
export interface IdListAnnouncement {
  name: string;
  url: string;
  fileID: string;
  creationTime: number;
  size: number;
}

/** What this SDK holds of one list: its entries and how far into which file it has read. */
export interface IdListState {
  fileID: string | null;
  creationTime: number;
  /** Bytes of the file consumed so far; the next download asks for `Range: bytes=<readBytes>-`. */
  readBytes: number;
  entries: Set<string>;
}

/** The persisted form of the held lists (cache file). */
export type SavedIdLists = Record<
  string,
  { fileID: string | null; creationTime: number; readBytes: number; entries: string[] }
>;

const NEWLINE = 0x0a;

/** Reads a get_id_lists answer; malformed entries are skipped and named in `problems`. */
export function parseAnnouncements(body: unknown, problems: string[]): IdListAnnouncement[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SwitchyardError(ERROR_CODES.invalidResponse, 'get_id_lists did not answer with an object');
  }
  const lists: IdListAnnouncement[] = [];
  for (const [key, raw] of Object.entries(body)) {
    const entry = raw as Partial<IdListAnnouncement> | null;
    if (
      !entry ||
      typeof entry.url !== 'string' ||
      !/^https?:\/\//.test(entry.url) ||
      typeof entry.fileID !== 'string' ||
      typeof entry.creationTime !== 'number' ||
      typeof entry.size !== 'number'
    ) {
      problems.push(`get_id_lists: entry "${key}" is malformed`);
      continue;
    }
    lists.push({
      name: typeof entry.name === 'string' ? entry.name : key,
      url: entry.url,
      fileID: entry.fileID,
      creationTime: entry.creationTime,
      size: entry.size,
    });
  }
  return lists;
}

/** What a list needs next, given what the server announces (statsig-node's rules, §6 step 2). */
export function planDownload(
  held: IdListState | undefined,
  announced: IdListAnnouncement,
): { reset: boolean; fetchFrom: number | null } {
  let reset = false;
  let readBytes = held?.readBytes ?? 0;
  if (!held || held.fileID !== announced.fileID) {
    // An older file than ours is a stale answer (another server instance lagging): ignore it.
    if (held && held.fileID !== null && announced.creationTime < held.creationTime) {
      return { reset: false, fetchFrom: null };
    }
    reset = true;
    readBytes = 0;
  }
  return { reset, fetchFrom: announced.size > readBytes ? readBytes : null };
}

/**
 * Applies a downloaded slice of a list file to `state`: `+<entry>` adds, `-<entry>` removes.
 * Only whole lines are consumed (a line cut by the end of the slice is read next time), unless
 * the slice ends the file. Returns false when the slice is not a list file (the caller resets
 * the list, as statsig-node drops it).
 */
export function applyListSlice(state: IdListState, slice: Buffer, endsFile: boolean): boolean {
  if (slice.length === 0) return true;
  const first = slice[0];
  if (first !== 0x2b && first !== 0x2d) return false;
  const lastNewline = slice.lastIndexOf(NEWLINE);
  if (lastNewline === -1 && !endsFile) return true;
  const consumed = endsFile ? slice.length : lastNewline + 1;
  for (const line of slice.toString('utf8', 0, consumed).split(/\r?\n/)) {
    const entry = line.slice(1).trim();
    if (entry === '') continue;
    if (line[0] === '+') state.entries.add(entry);
    else if (line[0] === '-') state.entries.delete(entry);
  }
  state.readBytes += consumed;
  return true;
}

/**
 * The ID lists as the evaluator reads them (`in_segment_list`), updated in place by the sync:
 * a check always sees a whole list, since each list's set is swapped or changed between checks.
 */
export class IdListStore implements IdListSource {
  readonly lists = new Map<string, IdListState>();

  get(listName: string): ReadonlySet<string> | undefined {
    return this.lists.get(listName)?.entries;
  }

  /** Lists given as raw unit IDs (e.g. `bootstrapIdLists`); they are hashed as list files are. */
  seed(raw: Record<string, readonly string[]>): void {
    for (const [name, ids] of Object.entries(raw)) {
      if (!Array.isArray(ids)) continue;
      this.lists.set(name, {
        fileID: null,
        creationTime: 0,
        readBytes: 0,
        entries: new Set(ids.map((id) => idListEntryHash(String(id)))),
      });
    }
  }

  restore(saved: SavedIdLists): void {
    for (const [name, list] of Object.entries(saved)) {
      if (!list || !Array.isArray(list.entries)) continue;
      this.lists.set(name, {
        fileID: typeof list.fileID === 'string' ? list.fileID : null,
        creationTime: Number(list.creationTime) || 0,
        readBytes: Number(list.readBytes) || 0,
        entries: new Set(list.entries.map(String)),
      });
    }
  }

  save(): SavedIdLists {
    const saved: SavedIdLists = {};
    for (const [name, list] of this.lists) {
      saved[name] = {
        fileID: list.fileID,
        creationTime: list.creationTime,
        readBytes: list.readBytes,
        entries: [...list.entries],
      };
    }
    return saved;
  }
}
