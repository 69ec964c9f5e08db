import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type ApiClient, ApiError } from '../api-client.js';
import { fileText, type ObjectDoc, recordToObject } from './documents.js';
import { type Doc, KIND_KEYS, KINDS, type KindKey } from './kinds.js';

export interface ExportResult {
  directory: string;
  counts: Partial<Record<KindKey, number>>;
  written: string[];
  removed: string[];
  skipped: { kind: KindKey; reason: string }[];
  notes: string[];
}

/** `SWITCHYARD_WEBHOOK_<NAME>_URL` for a webhook whose URL is a secret. */
export const webhookUrlVariable = (name: string) =>
  `SWITCHYARD_WEBHOOK_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;

/**
 * Whether a webhook URL is itself a credential (a Slack incoming webhook, a token in the query,
 * a password in the URL): such URLs are written as `${env:VAR}`, never into files for git.
 */
function urlIsSecret(webhook: Doc): boolean {
  if (webhook.format === 'slack') return true;
  try {
    const url = new URL(String(webhook.url));
    return url.username !== '' || url.password !== '' || url.search !== '';
  } catch {
    return true;
  }
}

async function readExisting(path: string): Promise<Doc | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = parse(await readFile(path, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Doc) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes every object on the server as `<directory>/<kind>/<name>.yaml`, and removes YAML files
 * of objects that are gone. What a file adds that the server cannot tell (an ID list's `file` of
 * IDs, a webhook URL kept in an environment variable) is kept from the file already there.
 */
export async function exportConfiguration(api: ApiClient, directory: string): Promise<ExportResult> {
  const result: ExportResult = { directory, counts: {}, written: [], removed: [], skipped: [], notes: [] };
  for (const key of KIND_KEYS) {
    const kind = KINDS[key];
    let records: Doc[];
    try {
      records = (await api.get<Record<string, Doc[]>>(kind.apiPath))[kind.listField] ?? [];
    } catch (error) {
      // Webhooks are for admins only: a read-only key exports everything else.
      if (error instanceof ApiError && error.status === 403) {
        result.skipped.push({ kind: key, reason: error.message });
        continue;
      }
      throw error;
    }
    const folder = join(directory, key);
    await mkdir(folder, { recursive: true });
    const names = new Set<string>();
    for (const record of records) {
      const object: ObjectDoc = recordToObject(kind, record);
      const path = join(folder, `${object.name}.yaml`);
      const existing = await readExisting(path);
      if (key === 'id_lists') {
        for (const field of ['file', 'header'] as const) {
          if (existing?.[field] !== undefined) object.doc[field] = existing[field];
        }
        if (object.doc.file === undefined) {
          result.notes.push(
            `id_lists/${object.name}.yaml: the server keeps hashes of IDs, not the IDs; add "file: <ids.txt>" to manage its members from a file`,
          );
        }
      }
      if (key === 'webhooks') {
        const reference =
          typeof existing?.url === 'string' && /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(existing.url)
            ? existing.url
            : undefined;
        if (reference || urlIsSecret(object.doc)) {
          const variable = reference ?? `\${env:${webhookUrlVariable(object.name)}}`;
          object.doc.url = variable;
          result.notes.push(
            `webhooks/${object.name}.yaml: its URL is a secret, so the file names ${variable}; set that variable when applying`,
          );
        }
      }
      await writeFile(path, fileText(object));
      names.add(`${object.name}.yaml`);
      result.written.push(`${key}/${object.name}.yaml`);
    }
    result.counts[key] = records.length;
    for (const file of await readdir(folder)) {
      if (/\.ya?ml$/.test(file) && !names.has(file)) {
        await rm(join(folder, file));
        result.removed.push(`${key}/${file}`);
      }
    }
  }
  return result;
}
