import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { applyLines, ID_LIST_FILE_PATH, readUpload } from '@switchyard/server';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { countingBytes, startProgress } from '../progress.js';
import { type DirectoryContents, type ObjectDoc, recordToObject, toYaml } from './documents.js';
import { type Doc, KIND_KEYS, KINDS, type KindDef, type KindKey } from './kinds.js';

/**
 * The plan: for every object in the files, create, update or leave it; for objects only on the
 * server, keep them (or, with `--prune`, delete those the API can delete). Each change carries
 * the YAML before and after (shown as a diff) and the API calls that make it, run in an order
 * where everything an object refers to exists first.
 */

export type ChangeAction = 'create' | 'update' | 'unchanged' | 'delete' | 'not_in_files';

export interface StepContext {
  api: ApiClient;
  io: CliIo;
  reason: string | undefined;
  /** Webhook signing secrets, shown once after the apply. */
  secrets: { webhook: string; secret: string }[];
}

export interface Step {
  label: string;
  /** Run order: kinds in dependency order; an experiment's start and end in time order. */
  phase: number;
  at: number;
  run(context: StepContext): Promise<void>;
}

export interface PlannedChange {
  kind: KindKey;
  name: string;
  action: ChangeAction;
  /** YAML on the server ('' when absent) and in the files ('' when absent). */
  before: string;
  after: string;
  notes: string[];
  steps: Step[];
}

export interface Plan {
  changes: PlannedChange[];
  warnings: string[];
}

interface ServerObject {
  object: ObjectDoc;
  record: Doc;
}
export type ServerState = Map<KindKey, Map<string, ServerObject>>;

const PHASE: Record<KindKey, number> = {
  environments: 0,
  metrics: 10,
  id_lists: 20,
  segments: 30,
  gates: 30,
  configs: 40,
  layers: 50,
  experiments: 60,
  webhooks: 80,
};
const EXPERIMENT_TIMELINE_PHASE = 70;
const DELETE_PHASE = 90;
const GATE_CONDITIONS = new Set(['pass_gate', 'fail_gate', 'multi_pass_gate', 'multi_fail_gate']);

/** The server's objects of `kinds`, as documents. */
export async function readServerState(api: ApiClient, kinds: readonly KindKey[]): Promise<ServerState> {
  const state: ServerState = new Map();
  for (const key of kinds) {
    const kind = KINDS[key];
    const answer = await api.get<Record<string, Doc[]>>(kind.apiPath);
    const records = answer[kind.listField] ?? [];
    state.set(
      key,
      new Map(
        records.map((record) => [String(record.name), { object: recordToObject(kind, record), record }]),
      ),
    );
  }
  return state;
}

const omit = (doc: Doc, fields: readonly string[]): Doc =>
  Object.fromEntries(Object.entries(doc).filter(([field]) => !fields.includes(field)));

const asRecords = (value: unknown): Doc[] => (Array.isArray(value) ? (value as Doc[]) : []);

/**
 * A file may leave out salts and rule or group ids (hand-written, or older than the object): they
 * are taken from the server's object, matching rules and groups by name, so an apply does not
 * reshuffle users by giving them new ones. Returns the document in normal form.
 */
function adoptIdentity(
  kind: KindDef,
  desired: Doc,
  current: Doc | undefined,
  problems: string[],
  where: string,
): Doc {
  const next: Doc = structuredClone(desired);
  if (current && next.salt === undefined && current.salt !== undefined) next.salt = current.salt;
  if (kind.key === 'experiments' && current) {
    if (next.allocationSalt === undefined) next.allocationSalt = current.allocationSalt;
    const currentGroups = asRecords(current.groups);
    for (const group of asRecords(next.groups)) {
      if (group.id !== undefined) continue;
      const match = currentGroups.filter((candidate) => candidate.name === group.name);
      if (match.length === 1) group.id = match[0]?.id;
    }
  }
  if (kind.key === 'gates' || kind.key === 'segments' || kind.key === 'configs') {
    const currentRules = asRecords(current?.rules);
    const rules = asRecords(next.rules);
    const claimed = new Set<unknown>(rules.map((rule) => rule.id).filter((id) => id !== undefined));
    rules.forEach((rule, index) => {
      if (rule.id !== undefined) {
        const existing = currentRules.find((candidate) => candidate.id === rule.id);
        if (existing && rule.salt === undefined) rule.salt = existing.salt;
        if (!existing && rule.salt === undefined) {
          problems.push(
            `${where}: rules.${index}.id: rule "${String(rule.id)}" is not a rule of this ${kind.singular} on the server; leave "id" out for a new rule, or give its "salt" too`,
          );
        }
        return;
      }
      const match = currentRules.filter(
        (candidate) => candidate.name === rule.name && !claimed.has(candidate.id),
      );
      if (match.length === 1 && match[0]) {
        rule.id = match[0].id;
        if (rule.salt === undefined) rule.salt = match[0].salt;
        claimed.add(match[0].id);
      }
    });
    const plan = next.releasePlan as Doc | null | undefined;
    const currentPlan = current?.releasePlan as Doc | null | undefined;
    if (plan && currentPlan && plan.salt === undefined) plan.salt = currentPlan.salt;
  }
  if (!kind.schema) return next;
  // Keys added above go back to their schema position, so equal documents print alike.
  const parsed = kind.schema.safeParse(next);
  if (!parsed.success)
    throw new CliError(`internal: ${kind.singular} "${String(next.name)}" no longer validates`);
  return parsed.data as Doc;
}

/** Every gate (or `segment:<name>`) a gate's or segment's document refers to. */
function referencesOf(doc: Doc): string[] {
  const names: string[] = [];
  for (const rule of asRecords(doc.rules)) {
    for (const condition of asRecords(rule.conditions)) {
      if (!GATE_CONDITIONS.has(String(condition.type))) continue;
      const value = condition.value;
      for (const name of Array.isArray(value) ? value : [value])
        if (typeof name === 'string') names.push(name);
    }
  }
  for (const stage of asRecords((doc.releasePlan as Doc | null | undefined)?.stages)) {
    if (typeof stage.segment === 'string') names.push(`segment:${stage.segment}`);
  }
  return names;
}

const specName = (change: PlannedChange) =>
  change.kind === 'segments' ? `segment:${change.name}` : change.name;

/**
 * Orders the gate and segment changes so that each comes after the ones it refers to (a gate
 * that passes a new segment needs it first). A cycle keeps file order and says so.
 */
function orderByReferences(
  changes: PlannedChange[],
  docs: Map<PlannedChange, Doc>,
  warnings: string[],
): void {
  const byName = new Map(changes.map((change) => [specName(change), change]));
  const state = new Map<PlannedChange, 'visiting' | 'done'>();
  let position = 0;
  const visit = (change: PlannedChange, path: string[]) => {
    const mark = state.get(change);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      warnings.push(
        `gates and segments refer to each other in a cycle (${[...path, specName(change)].join(' -> ')}): applied in file order`,
      );
      return;
    }
    state.set(change, 'visiting');
    for (const reference of referencesOf(docs.get(change) ?? {})) {
      const target = byName.get(reference);
      if (target && target !== change) visit(target, [...path, specName(change)]);
    }
    state.set(change, 'done');
    position += 1;
    for (const step of change.steps) if (step.phase === PHASE.gates) step.at = position;
  };
  for (const change of changes) visit(change, []);
}

/** An ID list's entries on the server: its list file folded (`+entry` / `-entry` lines). */
async function serverEntries(api: ApiClient, record: Doc): Promise<Set<string>> {
  const entries = new Set<string>();
  if (Number(record.size ?? 0) === 0) return entries;
  applyLines(entries, await api.fetchText(`/v1${ID_LIST_FILE_PATH}/${String(record.fileId)}`));
  return entries;
}

function countDifference(wanted: Set<string>, present: Set<string>): { added: number; removed: number } {
  let added = 0;
  for (const entry of wanted) if (!present.has(entry)) added++;
  let removed = 0;
  for (const entry of present) if (!wanted.has(entry)) removed++;
  return { added, removed };
}

function uploadStep(object: ObjectDoc, version: number | undefined, bytes: number, cwd: string): Step {
  const members = object.members;
  return {
    label: members
      ? `upload ${object.name} from ${relative(cwd, members.path) || members.path}`
      : `create the empty ID list ${object.name}`,
    phase: PHASE.id_lists,
    at: 0,
    async run({ api, io, reason }) {
      const progress = startProgress(io, `Uploading ${object.name}`, bytes, 'bytes', { minimum: 256 * 1024 });
      try {
        await api.send('PUT', `/id_lists/${object.name}`, {
          upload: members ? countingBytes(createReadStream(members.path), progress) : emptyBody(),
          contentType: members?.csv ? 'text/csv' : 'text/plain',
          ...(version !== undefined && { ifMatch: version }),
          query: { reason, ...(members?.header && { header: 'true' }) },
        });
      } finally {
        progress.stop();
      }
    },
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

export interface PlanOptions {
  prune: boolean;
  /** Paths in messages are relative to it. */
  cwd: string;
}

/** Compares the files with the server and plans the changes (nothing is changed here). */
export async function makePlan(
  api: ApiClient,
  contents: DirectoryContents,
  state: ServerState,
  options: PlanOptions,
): Promise<Plan> {
  const changes: PlannedChange[] = [];
  const warnings: string[] = [];
  const problems: string[] = [];
  const gateDocs = new Map<PlannedChange, Doc>();
  const { cwd } = options;

  for (const key of KIND_KEYS) {
    const objects = contents.get(key);
    if (!objects) continue;
    const kind = KINDS[key];
    const onServer = state.get(key) ?? new Map<string, ServerObject>();
    for (const object of objects) {
      const where = object.source ? relative(cwd, object.source) || object.source : `${key}/${object.name}`;
      const existing = onServer.get(object.name);
      const current = existing?.object.doc;
      const desired = adoptIdentity(kind, object.doc, current, problems, where);
      const change: PlannedChange = {
        kind: key,
        name: object.name,
        action: existing ? 'unchanged' : 'create',
        before: current ? toYaml(key === 'id_lists' ? { name: current.name } : current) : '',
        after: toYaml(key === 'id_lists' ? { name: desired.name } : desired),
        notes: [],
        steps: [],
      };
      const version = typeof existing?.record.version === 'number' ? existing.record.version : undefined;
      planObject(kind, change, desired, current, version, object, problems, where);
      if (key === 'id_lists') await planIdList(api, change, object, existing?.record, version, options.cwd);
      if (change.action === 'unchanged' && change.steps.length > 0) change.action = 'update';
      if (key === 'gates' || key === 'segments') gateDocs.set(change, desired);
      changes.push(change);
    }
    const inFiles = new Set(objects.map((object) => object.name));
    for (const [name, existing] of onServer) {
      if (inFiles.has(name)) continue;
      const before = toYaml(existing.object.doc);
      if (options.prune && kind.deletable) {
        const version = typeof existing.record.version === 'number' ? existing.record.version : undefined;
        changes.push({
          kind: key,
          name,
          action: 'delete',
          before,
          after: '',
          notes: [],
          steps: [
            {
              label: `delete ${kind.singular} ${name}`,
              phase: DELETE_PHASE,
              at: 0,
              run: ({ api, reason }) =>
                api.send('DELETE', `${kind.apiPath}/${name}`, {
                  ...(version !== undefined && { ifMatch: version }),
                  query: { reason },
                }),
            },
          ],
        });
      } else {
        changes.push({
          kind: key,
          name,
          action: 'not_in_files',
          before,
          after: '',
          notes: [
            kind.deletable
              ? 'kept: only on the server (--prune deletes it)'
              : `kept: only on the server (the API does not delete ${kind.singular}s${kind.key === 'gates' ? '; disable it instead' : ''})`,
          ],
          steps: [],
        });
      }
    }
  }
  if (problems.length > 0) {
    throw new CliError(
      `the files cannot be applied as they are:\n  ${problems.join('\n  ')}`,
      "fix the files; `switchyard export` writes the server's objects with their ids",
    );
  }
  orderByReferences(
    changes.filter((change) => gateDocs.has(change) && change.steps.length > 0),
    gateDocs,
    warnings,
  );
  return { changes, warnings };
}

/** The API calls that turn `current` into `desired` for one object (none when they are equal). */
function planObject(
  kind: KindDef,
  change: PlannedChange,
  desired: Doc,
  current: Doc | undefined,
  version: number | undefined,
  object: ObjectDoc,
  problems: string[],
  where: string,
): void {
  const { name } = change;
  const path = `${kind.apiPath}/${name}`;
  const phase = PHASE[kind.key];
  const push = (label: string, run: Step['run'], at = 0, stepPhase = phase) =>
    change.steps.push({ label, phase: stepPhase, at, run });
  const ifMatch = version !== undefined ? { ifMatch: version } : {};
  if (kind.key === 'id_lists') return;

  if (kind.key === 'environments') {
    const policy = (desired.policy as Doc | null) ?? { minRole: 'editor', requireApproval: false };
    if (!current)
      push(`create environment ${name}`, ({ api, reason }) =>
        api.send('POST', '/environments', { body: { name, reason } }),
      );
    if (toYaml({ policy: desired.policy }) !== toYaml({ policy: current?.policy ?? null })) {
      push(`set the policy of environment ${name}`, ({ api }) =>
        api.send('PUT', `/environments/${name}/policy`, { body: policy }),
      );
    }
    return;
  }

  if (kind.key === 'webhooks') {
    const body = omit(desired, ['name']);
    if (!current) {
      push(`create webhook ${name}`, async ({ api, reason, secrets }) => {
        const created = await api.send<{ secret: string }>('POST', '/webhooks', {
          body: { ...desired, reason },
        });
        secrets.push({ webhook: name, secret: created.secret });
      });
    } else if (change.before !== change.after) {
      push(`change webhook ${name}`, ({ api, reason }) =>
        api.send('PATCH', path, { body: { ...body, reason }, ...ifMatch }),
      );
    }
    return;
  }

  // Authored kinds: create or PATCH what the body carries, then the state changed by actions.
  const bodyOf = (doc: Doc) => omit(doc, ['name', ...kind.stateFields]);
  let body = bodyOf(desired);
  if (
    kind.key === 'gates' &&
    current &&
    toYaml({ plan: desired.releasePlan }) === toYaml({ plan: current.releasePlan })
  ) {
    // Sent again, an unchanged plan would start over at its first stage.
    body = omit(body, ['releasePlan']);
  }
  const currentStatus = kind.key === 'experiments' ? String(current?.status ?? 'draft') : undefined;
  if (!current) {
    push(`create ${kind.singular} ${name}`, ({ api, reason }) =>
      api.send('POST', kind.apiPath, { body: { name, ...bodyOf(desired), reason } }),
    );
  } else if (toYaml(bodyOf(desired)) !== toYaml(bodyOf(current))) {
    if (currentStatus === 'stopped' || currentStatus === 'shipped') {
      problems.push(
        `${where}: experiment ${name} has ended (${currentStatus}) on the server: its settings can no longer change; create a new experiment instead`,
      );
    }
    push(`change ${kind.singular} ${name}`, ({ api, reason }) =>
      api.send('PATCH', path, { body: { ...body, reason }, ...ifMatch }),
    );
    if (kind.key === 'gates' && body.releasePlan !== undefined && current.releasePlan) {
      change.notes.push('the release plan changes: it starts again at its first stage (its salt is kept)');
    }
  }

  if (kind.key === 'gates') {
    const wanted = (desired.disabledIn as string[]) ?? [];
    const present = (current?.disabledIn as string[] | undefined) ?? [];
    const off = wanted.filter((environment) => !present.includes(environment));
    const on = present.filter((environment) => !wanted.includes(environment));
    if (off.length > 0)
      push(`turn gate ${name} off in ${off.join(', ')}`, ({ api, reason }) =>
        api.send('POST', `${path}/disable`, { body: { environments: off, reason } }),
      );
    if (on.length > 0)
      push(`turn gate ${name} back on in ${on.join(', ')}`, ({ api, reason }) =>
        api.send('POST', `${path}/enable`, { body: { environments: on, reason } }),
      );
  }

  if (kind.key === 'experiments') {
    const from = currentStatus ?? 'draft';
    const to = String(desired.status);
    const shippedGroup = desired.shippedGroup as string | null;
    const transitions: Record<string, string[]> = {
      'draft>running': ['start'],
      'draft>stopped': ['start', 'stop'],
      'draft>shipped': ['start', 'ship'],
      'running>stopped': ['stop'],
      'running>shipped': ['ship'],
      'stopped>shipped': ['ship'],
    };
    if (from === to) {
      if (to === 'shipped' && current?.shippedGroup !== shippedGroup) {
        problems.push(
          `${where}: experiment ${name} shipped ${String(current?.shippedGroup)} on the server; it cannot ship another group`,
        );
      }
      return;
    }
    const actions = transitions[`${from}>${to}`];
    if (!actions) {
      problems.push(
        `${where}: experiment ${name} is ${from} on the server and cannot become ${to} (experiments go draft -> running -> stopped or shipped)`,
      );
      return;
    }
    if (to === 'shipped' && !shippedGroup) {
      problems.push(`${where}: shippedGroup: name the group a shipped experiment ships`);
      return;
    }
    for (const action of actions) {
      // Starts and ends run in the order they happened, so experiments sharing a layer get the
      // same slots as on the server the files were exported from.
      const at =
        (action === 'start' ? object.meta.startedAt : object.meta.endedAt) ?? Number.MAX_SAFE_INTEGER;
      push(
        `${action} experiment ${name}${action === 'ship' ? ` (group ${shippedGroup})` : ''}`,
        ({ api, reason }) =>
          api.send('POST', `${path}/${action}`, {
            body: { ...(action === 'ship' && { group: shippedGroup }), reason },
          }),
        at,
        EXPERIMENT_TIMELINE_PHASE,
      );
    }
  }
}

/** An ID list's IDs: the file's entries against the server's, uploaded when they differ. */
async function planIdList(
  api: ApiClient,
  change: PlannedChange,
  object: ObjectDoc,
  record: Doc | undefined,
  version: number | undefined,
  cwd: string,
): Promise<void> {
  const members = object.members;
  if (!record) {
    const bytes = members ? (await stat(members.path)).size : 0;
    if (members) {
      const { ids, entries } = await readIdFile(members);
      change.notes.push(
        `${ids.toLocaleString('en-US')} IDs (${entries.size.toLocaleString('en-US')} distinct) from ${relative(cwd, members.path)}`,
      );
    }
    change.steps.push(uploadStep(object, undefined, bytes, cwd));
    return;
  }
  if (!members) return;
  const { entries } = await readIdFile(members);
  const { added, removed } = countDifference(entries, await serverEntries(api, record));
  if (added === 0 && removed === 0) return;
  change.notes.push(
    `IDs: +${added.toLocaleString('en-US')} -${removed.toLocaleString('en-US')} (the list is uploaded again from ${relative(cwd, members.path)})`,
  );
  change.steps.push(uploadStep(object, version, (await stat(members.path)).size, cwd));
}

async function readIdFile(members: NonNullable<ObjectDoc['members']>) {
  try {
    return await readUpload(createReadStream(members.path), { csv: members.csv, header: members.header });
  } catch (error) {
    throw new CliError(
      `${members.path}: ${(error as Error).message}`,
      'one ID per line, or CSV with the ID in the first column',
    );
  }
}

export interface ApplyResult {
  applied: { kind: KindKey; name: string; action: ChangeAction; steps: string[] }[];
  secrets: StepContext['secrets'];
}

/** Runs every step of the plan in dependency order; stops at the first failure, naming what was done. */
export async function executePlan(
  plan: Plan,
  context: Omit<StepContext, 'secrets'>,
  onStep: (step: Step, change: PlannedChange) => void,
): Promise<ApplyResult> {
  const steps = plan.changes
    .flatMap((change) => change.steps.map((step) => ({ step, change })))
    .sort((a, b) => a.step.phase - b.step.phase || a.step.at - b.step.at);
  const secrets: StepContext['secrets'] = [];
  const done: Step[] = [];
  const progress = startProgress(context.io, 'Applying', steps.length, 'changes', { minimum: 20 });
  try {
    for (const { step, change } of steps) {
      try {
        await step.run({ ...context, secrets });
      } catch (error) {
        if (error instanceof CliError) {
          const after = done.length > 0 ? ` (after ${done.length} of ${steps.length} changes were made)` : '';
          error.message = `${step.label} failed${after}: ${error.message}`;
        }
        throw error;
      }
      done.push(step);
      progress.increment();
      onStep(step, change);
    }
  } finally {
    progress.stop();
  }
  const applied = plan.changes
    .filter((change) => change.steps.length > 0)
    .map((change) => ({
      kind: change.kind,
      name: change.name,
      action: change.action,
      steps: change.steps.map((s) => s.label),
    }));
  return { applied, secrets };
}
