import { StringDecoder } from 'node:string_decoder';
import { idListEntryHash } from '@switchyard/core';
import { InvalidInputError, PayloadTooLargeError } from '../errors.js';

/**
 * ID lists as Statsig's SDKs read them (protocol doc §6): a list file is a log of lines
 * `+<entry>` (add) and `-<entry>` (remove), where an entry is the 8-character hash of a unit ID
 * (`idListEntryHash`, the first 8 characters of base64(sha256(id))). The server never keeps the
 * raw IDs: only their entries, which is all `in_segment_list` needs.
 */

export const ID_LIST_KIND = 'id_list';

/** `+` or `-`, the 8-character entry, `\n`: every line of a list file we write. */
export const ENTRY_LINE_BYTES = 10;
/** Lines per stored chunk (1 MB): a million-ID upload is ten rows, an add of 100,000 IDs one. */
export const CHUNK_ENTRIES = 100_000;
/** Entries one list may hold (each costs about 60 bytes of memory per instance). */
export const MAX_LIST_ENTRIES = 5_000_000;
/** IDs per add or remove call. */
export const MAX_IDS_PER_CHANGE = 100_000;
/** A raw ID. */
export const MAX_ID_LENGTH = 1_000;
/** A line of an upload (a CSV row may carry more columns than the ID). */
export const MAX_LINE_LENGTH = 64 * 1024;
/** An upload's body, after any gzip decoding: room for 5 million long IDs. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export type EntryOp = '+' | '-';

/** Encodes entries as list-file lines, in chunks of at most {@link CHUNK_ENTRIES} lines. */
export function* encodeChunks(op: EntryOp, entries: Iterable<string>): Generator<string> {
  let lines: string[] = [];
  for (const entry of entries) {
    lines.push(`${op}${entry}\n`);
    if (lines.length === CHUNK_ENTRIES) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/**
 * Applies list-file lines we wrote (fixed width, {@link ENTRY_LINE_BYTES} each) to a set of
 * entries, in order: the last line about an entry decides.
 */
export function applyLines(entries: Set<string>, content: string): void {
  for (let at = 0; at + ENTRY_LINE_BYTES <= content.length; at += ENTRY_LINE_BYTES) {
    const entry = content.slice(at + 1, at + ENTRY_LINE_BYTES - 1);
    if (content.charCodeAt(at) === 43 /* + */) entries.add(entry);
    else entries.delete(entry);
  }
}

/** The entry of every ID, deduplicated, in first-seen order. */
export function entriesOf(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => idListEntryHash(id)))];
}

export interface UploadFormat {
  /** Take the first column of each line (`text/csv`), honouring `"quoted, fields"`. */
  csv: boolean;
  /** Skip the first non-blank line (a CSV header). */
  header: boolean;
}

export interface UploadSummary {
  /** Every non-blank line, header excluded. */
  ids: number;
  /** Distinct entries: what the list holds. */
  entries: Set<string>;
}

function invalidLine(line: number, message: string): InvalidInputError {
  return new InvalidInputError('invalid_id', `line ${line}: ${message}`, { field: 'body', line });
}

/** The first field of a CSV row: `a,b` -> `a`; `"a,""b""",c` -> `a,"b"`. */
function firstCsvField(row: string, lineNumber: number): string {
  if (!row.startsWith('"')) {
    const comma = row.indexOf(',');
    return comma === -1 ? row : row.slice(0, comma);
  }
  let field = '';
  let at = 1;
  for (;;) {
    const quote = row.indexOf('"', at);
    if (quote === -1) throw invalidLine(lineNumber, 'unterminated quoted field');
    field += row.slice(at, quote);
    if (row[quote + 1] === '"') {
      field += '"';
      at = quote + 2;
      continue;
    }
    const rest = row.slice(quote + 1).trimStart();
    if (rest !== '' && !rest.startsWith(',')) throw invalidLine(lineNumber, 'text after a quoted field');
    return field;
  }
}

/**
 * Reads an upload (one raw ID per line, `\r?\n`, blank lines ignored, surrounding whitespace
 * trimmed; the first column of each row for CSV) from a byte stream, line by line: the body is
 * never held as one string, only the set of entries (8 characters per distinct ID) grows.
 * Too large a body is a 413, a bad line a 400 naming it.
 *
 * @example
 * const { ids, entries } = await readUpload(request.raw, { csv: false, header: false });
 */
export async function readUpload(
  body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  format: UploadFormat,
  maxBytes: number = MAX_UPLOAD_BYTES,
): Promise<UploadSummary> {
  const decoder = new StringDecoder('utf8');
  const entries = new Set<string>();
  let pending = '';
  let bytes = 0;
  let lineNumber = 0;
  let ids = 0;
  let skipHeader = format.header;

  const takeLine = (raw: string) => {
    lineNumber++;
    const line = (lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (line === '') return;
    if (skipHeader) {
      skipHeader = false;
      return;
    }
    const id = format.csv ? firstCsvField(line, lineNumber).trim() : line;
    if (id === '') throw invalidLine(lineNumber, 'the first column is empty');
    if (id.length > MAX_ID_LENGTH)
      throw invalidLine(lineNumber, `an ID is at most ${MAX_ID_LENGTH} characters`);
    ids++;
    entries.add(idListEntryHash(id));
    if (entries.size > MAX_LIST_ENTRIES) {
      throw new InvalidInputError('too_many_ids', `a list holds at most ${MAX_LIST_ENTRIES} IDs`, {
        field: 'body',
        line: lineNumber,
      });
    }
  };

  try {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (bytes > maxBytes) {
        throw new PayloadTooLargeError('payload_too_large', `the body is larger than ${maxBytes} bytes`, {
          field: 'body',
          limit: maxBytes,
        });
      }
      const text = pending + decoder.write(buffer);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        takeLine(text.slice(start, newline));
        start = newline + 1;
      }
      pending = text.slice(start);
      if (pending.length > MAX_LINE_LENGTH) {
        throw invalidLine(lineNumber + 1, `a line is at most ${MAX_LINE_LENGTH} characters`);
      }
    }
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof PayloadTooLargeError) throw error;
    // The client went away, or a gzip body was corrupt: the request, not the server, failed.
    throw new InvalidInputError('unreadable_body', `the body could not be read: ${String(error)}`, {
      field: 'body',
    });
  }
  const last = pending + decoder.end();
  if (last !== '') takeLine(last);
  return { ids, entries };
}
