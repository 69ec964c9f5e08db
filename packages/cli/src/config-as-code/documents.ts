import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { CliError } from '../errors.js';
import { completeMetric, type Doc, KIND_KEYS, KINDS, type KindDef, type KindKey } from './kinds.js';

/**
 * Documents: one object of one kind, read from a YAML file or from the server, in one normal
 * form (the server's schemas with their defaults, keys in schema order), so two documents are
 * equal exactly when their YAML text is.
 */

/** An object as config as code sees it. */
export interface ObjectDoc {
  kind: KindDef;
  name: string;
  doc: Doc;
  /** Facts kept next to the document but never compared (an experiment's start and end). */
  meta: { startedAt?: number; endedAt?: number };
  /** ID lists: the file of IDs the list should hold (absolute), and whether it has a header row. */
  members?: { path: string; header: boolean; csv: boolean };
  /** The YAML file it came from, for messages. */
  source?: string;
}

/** Objects read from a directory: by kind, only the kinds whose directory exists. */
export type DirectoryContents = Map<KindKey, ObjectDoc[]>;

const NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const ENV_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Every problem found in the files, reported together: fixing one at a time is slow. */
export class InvalidFilesError extends CliError {
  constructor(readonly problems: string[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the configuration files:\n  ${problems.join('\n  ')}`,
      'fix the files and run the command again; `switchyard export` writes files in the expected form',
    );
  }
}

/** The YAML text of a document (what is diffed and written). */
export function toYaml(doc: Doc): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A file's text: the document, then an experiment's start and end (read-only facts). */
export function fileText(object: ObjectDoc): string {
  const meta: Doc = {};
  if (object.meta.startedAt !== undefined) meta.startedAt = new Date(object.meta.startedAt).toISOString();
  if (object.meta.endedAt !== undefined) meta.endedAt = new Date(object.meta.endedAt).toISOString();
  return toYaml({ ...object.doc, ...meta });
}

function describeIssue(path: readonly PropertyKey[], message: string): string {
  return path.length === 0 ? message : `${path.map(String).join('.')}: ${message}`;
}

/** What we read of a zod 4 schema to walk it: its public `def` (type, shape, element, inner type). */
interface SchemaNode {
  def?: {
    type?: string;
    shape?: Record<string, SchemaNode>;
    element?: SchemaNode;
    innerType?: SchemaNode;
    in?: SchemaNode;
  };
}

/**
 * Fields of `input` the schema does not know. zod strips unknown keys, which would silently
 * ignore a typo such as `passPercentag`; walking the schema finds them even when other fields
 * fail to validate, so every problem is reported at once.
 */
function unknownFields(
  schema: SchemaNode | undefined,
  input: unknown,
  path: PropertyKey[] = [],
): PropertyKey[][] {
  let node = schema;
  while (
    node?.def &&
    ['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'pipe'].includes(
      node.def.type ?? '',
    )
  ) {
    node = node.def.type === 'pipe' ? node.def.in : node.def.innerType;
  }
  const def = node?.def;
  if (def?.type === 'array' && Array.isArray(input)) {
    return input.flatMap((item, index) => unknownFields(def.element, item, [...path, index]));
  }
  if (def?.type !== 'object' || !def.shape || !isPlainObject(input)) return [];
  const shape = def.shape;
  return Object.entries(input).flatMap(([key, value]) =>
    key in shape
      ? unknownFields(shape[key], value, [...path, key])
      : value === undefined
        ? []
        : [[...path, key]],
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Equal policies mean the same: none, or the unprotected default. */
function normalisePolicy(policy: unknown): unknown {
  if (!isPlainObject(policy)) return policy ?? null;
  return policy.minRole === 'editor' && policy.requireApproval === false ? null : policy;
}

/**
 * Checks a document by hand for the kinds without a server schema (environments, ID lists);
 * returns the normal form or the problems.
 */
function checkByHand(
  kind: KindDef,
  raw: Doc,
): { doc?: Doc; problems: { path: PropertyKey[]; message: string }[] } {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  const allowed = kind.key === 'environments' ? ['name', 'policy'] : ['name', 'file', 'header'];
  for (const field of Object.keys(raw)) {
    if (!allowed.includes(field))
      problems.push({ path: [field], message: `unknown field (allowed: ${allowed.join(', ')})` });
  }
  if (kind.key === 'environments') {
    const policy = raw.policy ?? null;
    if (policy !== null) {
      if (!isPlainObject(policy)) {
        problems.push({
          path: ['policy'],
          message: 'null, or { minRole: editor | admin, requireApproval: true | false }',
        });
      } else {
        if (policy.minRole !== 'editor' && policy.minRole !== 'admin')
          problems.push({ path: ['policy', 'minRole'], message: 'editor or admin' });
        if (typeof policy.requireApproval !== 'boolean')
          problems.push({ path: ['policy', 'requireApproval'], message: 'true or false' });
        for (const field of Object.keys(policy)) {
          if (field !== 'minRole' && field !== 'requireApproval')
            problems.push({ path: ['policy', field], message: 'unknown field' });
        }
      }
    }
    return {
      problems,
      doc: {
        name: raw.name,
        policy: isPlainObject(policy)
          ? normalisePolicy({ minRole: policy.minRole, requireApproval: policy.requireApproval })
          : null,
      },
    };
  }
  if (raw.file !== undefined && (typeof raw.file !== 'string' || raw.file === ''))
    problems.push({
      path: ['file'],
      message: 'the path of a file of IDs (one per line, or CSV), relative to this file',
    });
  if (raw.header !== undefined && typeof raw.header !== 'boolean')
    problems.push({ path: ['header'], message: 'true or false (whether the first line is a header)' });
  return {
    problems,
    doc: {
      name: raw.name,
      ...(raw.file !== undefined && { file: raw.file }),
      ...(raw.header !== undefined && { header: raw.header }),
    },
  };
}

function parseTimestamp(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? null : parsed;
}

/** Reads one YAML file of `kind`; problems are appended to `problems` (with file and line). */
export async function readObjectFile(
  kind: KindDef,
  path: string,
  root: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): Promise<ObjectDoc | undefined> {
  const where = relative(root, path) || path;
  const lines = new LineCounter();
  const document = parseDocument(await readFile(path, 'utf8'), { lineCounter: lines });
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const position = error.linePos?.[0];
      const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:$/, '');
      problems.push(`${where}${position ? `:${position.line}:${position.col}` : ''}: ${message}`);
    }
    return undefined;
  }
  /** The line of the deepest node of `path` the file has (0: none). */
  const lineOf = (path: readonly PropertyKey[]) => {
    for (let length = path.length; length >= 0; length--) {
      const node = document.getIn(path.slice(0, length) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return 0;
  };
  const at = (path: readonly PropertyKey[]) => {
    const line = lineOf(path);
    return line > 0 ? `${where}:${line}` : where;
  };
  const raw = document.toJS() as unknown;
  if (!isPlainObject(raw)) {
    problems.push(
      `${where}: expected a mapping of fields (name: ..., ...), found ${raw === null ? 'an empty file' : typeof raw}`,
    );
    return undefined;
  }
  const fromFile = basename(path, extname(path));
  if (raw.name === undefined) raw.name = fromFile;
  if (raw.name !== fromFile) {
    problems.push(
      `${at(['name'])}: name "${String(raw.name)}" differs from the file name; name the file ${String(raw.name)}${extname(path)}`,
    );
    return undefined;
  }
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) {
    problems.push(`${at(['name'])}: name: lower-case letters, digits, "_", "-" or "." (at most 100)`);
    return undefined;
  }
  const before = problems.length;
  const meta: ObjectDoc['meta'] = {};
  if (kind.key === 'experiments') {
    for (const field of ['startedAt', 'endedAt'] as const) {
      const parsed = parseTimestamp(raw[field]);
      if (parsed === null)
        problems.push(`${at([field])}: ${field}: an ISO 8601 time, e.g. 2026-01-05T10:00:00Z`);
      else if (parsed !== undefined) meta[field] = parsed;
      delete raw[field];
    }
  }
  if (kind.key === 'webhooks' && typeof raw.url === 'string') {
    const reference = ENV_REFERENCE.exec(raw.url);
    if (reference) {
      const value = env[reference[1] as string];
      if (!value) {
        problems.push(
          `${at(['url'])}: url: environment variable ${reference[1]} is not set (the file names it instead of holding the URL)`,
        );
      } else raw.url = value;
    }
  }
  if (kind.key === 'metrics') Object.assign(raw, completeMetric(raw));
  let doc: Doc | undefined;
  if (kind.schema) {
    const issues: { path: readonly PropertyKey[]; message: string }[] = unknownFields(
      kind.schema as SchemaNode,
      raw,
    ).map((unknown) => ({ path: unknown, message: 'unknown field' }));
    const parsed = kind.schema.safeParse(raw);
    if (parsed.success) doc = parsed.data as Doc;
    else issues.push(...parsed.error.issues);
    issues.sort((a, b) => lineOf(a.path) - lineOf(b.path));
    for (const issue of issues)
      problems.push(`${at(issue.path)}: ${describeIssue(issue.path, issue.message)}`);
  } else {
    const checked = checkByHand(kind, raw);
    for (const problem of checked.problems)
      problems.push(`${at(problem.path)}: ${describeIssue(problem.path, problem.message)}`);
    doc = checked.doc;
  }
  if (!doc || problems.length > before) return undefined;
  const object: ObjectDoc = { kind, name: raw.name, doc, meta, source: path };
  if (kind.key === 'id_lists' && typeof doc.file === 'string') {
    const membersPath = join(path, '..', doc.file);
    if (!existsSync(membersPath)) {
      problems.push(`${at(['file'])}: file: ${relative(root, membersPath)} does not exist`);
      return undefined;
    }
    object.members = {
      path: membersPath,
      header: doc.header === true,
      csv: extname(membersPath).toLowerCase() === '.csv',
    };
  }
  return object;
}

/** Reads every `<kind>/*.yaml` under `root`. Unknown directories are an error (a typo would be ignored). */
export async function readDirectory(root: string, env: NodeJS.ProcessEnv): Promise<DirectoryContents> {
  if (!existsSync(root))
    throw new CliError(
      `${root} does not exist`,
      'give the directory `switchyard export` wrote, e.g. `apply -f switchyard/`',
    );
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR')
      throw new CliError(
        `${root} is a file; -f takes a directory with one folder per kind (gates/, segments/, ...)`,
      );
    throw error;
  });
  const problems: string[] = [];
  const directories = new Set(
    entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name),
  );
  for (const name of directories) {
    if (!(KIND_KEYS as readonly string[]).includes(name)) {
      problems.push(`${name}/: not a kind of object; the folders are ${KIND_KEYS.join(', ')}`);
    }
  }
  const contents: DirectoryContents = new Map();
  for (const key of KIND_KEYS) {
    if (!directories.has(key)) continue;
    const kind = KINDS[key];
    const files = (await readdir(join(root, key))).filter((file) => /\.ya?ml$/.test(file)).sort();
    const objects: ObjectDoc[] = [];
    const seen = new Map<string, string>();
    for (const file of files) {
      const object = await readObjectFile(kind, join(root, key, file), root, env, problems);
      if (!object) continue;
      const other = seen.get(object.name);
      if (other) {
        problems.push(`${key}/${file}: ${kind.singular} "${object.name}" is also in ${key}/${other}`);
        continue;
      }
      seen.set(object.name, file);
      objects.push(object);
    }
    contents.set(key, objects);
  }
  if (contents.size === 0 && problems.length === 0) {
    throw new CliError(
      `${root} holds no configuration: expected folders such as gates/ and segments/ with one YAML file per object`,
      'write one with `switchyard export -o <dir>`',
    );
  }
  if (problems.length > 0) throw new InvalidFilesError(problems);
  return contents;
}

/** A server record as a document in normal form. */
export function recordToObject(kind: KindDef, record: Doc): ObjectDoc {
  const raw = kind.fromRecord(record);
  let doc: Doc;
  if (kind.schema) {
    const parsed = kind.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(
        `the server's ${kind.singular} "${String(record.name)}" does not fit this CLI's schema (${issue ? describeIssue(issue.path, issue.message) : 'invalid'})`,
        'use the switchyard CLI of the same version as the server',
      );
    }
    doc = parsed.data as Doc;
  } else if (kind.key === 'environments') {
    doc = { name: raw.name, policy: normalisePolicy(raw.policy) };
  } else {
    doc = raw;
  }
  const meta: ObjectDoc['meta'] = {};
  if (kind.key === 'experiments') {
    if (typeof record.startedAt === 'number') meta.startedAt = record.startedAt;
    if (typeof record.endedAt === 'number') meta.endedAt = record.endedAt;
  }
  return { kind, name: String(record.name), doc, meta };
}
