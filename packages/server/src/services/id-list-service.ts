import { type EntryOp, entriesOf, readUpload, type UploadFormat } from '../domain/id-list.js';
import { NotFoundError, RangeNotSatisfiableError } from '../errors.js';
import type { IdListFile, IdListRecord, IdListStore } from '../store/id-list-store.js';
import type { Actor } from './authoring-service.js';

/** The path SDKs download list files from, under the SDK prefix (`/v1`). */
export const ID_LIST_FILE_PATH = '/id_list_files';

/** One entry of statsig-node's `get_id_lists` response (protocol doc §6). */
export interface IdListLookupEntry {
  name: string;
  size: number;
  url: string;
  creationTime: number;
  fileID: string;
}

/** Which bytes of a file to send: all of it (200), or from `start` (206). */
export interface FileSlice {
  start: number;
  end: number;
  size: number;
  partial: boolean;
}

/**
 * Reads an HTTP `Range` header against a file of `size` bytes. Supports one range:
 * `bytes=N-` (what statsig-node sends), `bytes=N-M` and `bytes=-K`. A header we do not
 * understand (or several ranges) is ignored, as RFC 9110 allows: the whole file is sent.
 */
export function sliceFor(range: string | undefined, size: number): FileSlice {
  const whole = { start: 0, end: size, size, partial: false };
  const match = range === undefined ? null : /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (!match || (match[1] === '' && match[2] === '')) return whole;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size;
    if (Number(match[2]) === 0) start = size;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size : Math.min(size, Number(match[2]) + 1);
    if (end <= start && start < size) return whole;
  }
  if (start >= size) {
    throw new RangeNotSatisfiableError('range_not_satisfiable', `the file has ${size} bytes`, {
      field: 'headers.range',
      size,
    });
  }
  return { start, end, size, partial: true };
}

/** ID lists: uploads and incremental changes (hashing IDs into entries), and the SDK view. */
export class IdListService {
  constructor(private readonly store: IdListStore) {}

  list(): Promise<IdListRecord[]> {
    return this.store.list();
  }

  async get(name: string): Promise<IdListRecord> {
    const record = await this.store.get(name);
    if (!record) throw new NotFoundError('not_found', `ID list "${name}" does not exist`, { name });
    return record;
  }

  /** Replaces (or creates) the list from an upload streamed line by line. */
  async upload(
    name: string,
    body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
    format: UploadFormat,
    expectedVersion: number | undefined,
    by: Actor,
    maxBytes?: number,
  ) {
    const { ids, entries } = await readUpload(body, format, maxBytes);
    const outcome = await this.store.replace(name, entries, expectedVersion, change(by));
    return { ...outcome, ids };
  }

  /** Adds IDs; `changed` counts those not in the list before, `requested` the distinct ones sent. */
  add(name: string, ids: readonly string[], expectedVersion: number | undefined, by: Actor) {
    return this.change(name, '+', ids, expectedVersion, by);
  }

  /** Removes IDs; `changed` counts those that were in the list. */
  remove(name: string, ids: readonly string[], expectedVersion: number | undefined, by: Actor) {
    return this.change(name, '-', ids, expectedVersion, by);
  }

  private async change(
    name: string,
    op: EntryOp,
    ids: readonly string[],
    expectedVersion: number | undefined,
    by: Actor,
  ): Promise<{ record: IdListRecord; changed: number; requested: number }> {
    const entries = entriesOf(ids);
    const outcome = await this.store.update(name, op, entries, expectedVersion, change(by));
    return { ...outcome, requested: entries.length };
  }

  delete(name: string, expectedVersion: number | undefined, by: Actor): Promise<void> {
    return this.store.delete(name, expectedVersion, change(by));
  }

  /** statsig-node's get_id_lists response, with file URLs under `baseUrl` (e.g. `https://host/v1`). */
  async lookup(baseUrl: string): Promise<Record<string, IdListLookupEntry>> {
    const files: IdListFile[] = await this.store.files();
    return Object.fromEntries(
      files.map((file) => [
        file.name,
        {
          name: file.name,
          size: file.size,
          url: `${baseUrl}${ID_LIST_FILE_PATH}/${file.fileId}`,
          creationTime: file.creationTime,
          fileID: file.fileId,
        },
      ]),
    );
  }

  /** The bytes of a list file a `Range` header asks for; 404 for an unknown (or long gone) file. */
  async file(
    fileId: string,
    range: string | undefined,
  ): Promise<FileSlice & { body: AsyncIterable<Buffer> }> {
    const size = await this.store.fileSize(fileId);
    if (size === undefined) throw new NotFoundError('not_found', 'no such ID list file', { fileId });
    const slice = sliceFor(range, size);
    return { ...slice, body: this.store.readFile(fileId, slice.start, slice.end) };
  }
}

function change(by: Actor) {
  return { actor: by.actor, reason: by.reason ?? null };
}
