import type { ConfigSpecs, EvaluatorOptions, Spec } from '@switchyard/core';
import { ERROR_CODES, SwitchyardError } from './errors.js';
import { IncrementalCompiler, type SpecChange, type SpecEvaluator } from './layered-evaluator.js';

/**
 * Where the configuration being served came from.
 *
 * @example
 * if (sdk.initDetails.source !== CONFIG_SOURCES.network) console.warn(sdk.initDetails.error?.message);
 */
export const CONFIG_SOURCES = {
  /** Downloaded from the server (stream or poll) by this instance. */
  network: 'network',
  /** Read from `cacheFile` because the server was unreachable at start. */
  cache: 'cache',
  /** The `bootstrap` option, because the server was unreachable at start. */
  bootstrap: 'bootstrap',
  /** Nothing yet: every evaluation returns its default. */
  none: 'none',
} as const;

export type ConfigSource = (typeof CONFIG_SOURCES)[keyof typeof CONFIG_SOURCES];

export const NAMESPACES = ['feature_gates', 'dynamic_configs', 'layer_configs'] as const;
type Namespace = (typeof NAMESPACES)[number];

/**
 * Names whose spec changed, appeared or went away, per kind.
 *
 * @example
 * sdk.onConfigChange(({ changed }) => changed.configs.includes('checkout') && reloadCheckout());
 */
export interface ChangedNames {
  gates: string[];
  /** Dynamic configs and experiments (one namespace in the DCS). */
  configs: string[];
  layers: string[];
}

/**
 * One configuration update, as `onConfigChange` listeners receive it.
 *
 * @example
 * sdk.onConfigChange((change) => console.log(change.revision, change.changed.gates));
 */
export interface ConfigChange {
  /** The server's configuration revision, when known (streamed configs carry it; polled ones do not). */
  revision: number | null;
  /** The DCS `time` (ms): when the configuration last changed on the server. */
  time: number;
  source: ConfigSource;
  /** Computed on first read (a full configuration is diffed spec by spec). */
  readonly changed: ChangedNames;
}

export interface SpecNames {
  gates: ReadonlySet<string>;
  configs: ReadonlySet<string>;
  layers: ReadonlySet<string>;
}

/** The stream's `delta` event (server `routes/stream.ts`). */
export interface StreamDelta {
  revision: number;
  time: number;
  baseRevision: number;
  changed: Partial<Record<Namespace, Spec[]>>;
  removed: Partial<Record<Namespace, string[]>>;
  layers?: Record<string, string[]>;
  id_lists?: Record<string, unknown>;
}

function invalid(message: string): SwitchyardError {
  return new SwitchyardError(ERROR_CODES.invalidResponse, message);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkSpecs(list: unknown, where: string): Spec[] {
  if (!Array.isArray(list)) throw invalid(`${where} is not an array`);
  for (const [index, spec] of list.entries()) {
    if (!isObject(spec) || typeof spec.name !== 'string') {
      throw invalid(`${where}[${index}] is not a spec with a name`);
    }
  }
  return list as Spec[];
}

/**
 * Checks the shape statsig-node insists on (three spec arrays, named specs) and refuses the
 * rest whole, so a garbage answer never replaces a good configuration. Problems inside one
 * spec are left to the evaluator, which reports them as `InvalidSpec` for that spec only.
 */
export function parseConfigSpecs(input: unknown): ConfigSpecs {
  const value = typeof input === 'string' ? parseJson(input, 'configuration') : input;
  if (!isObject(value)) throw invalid('the configuration is not a JSON object');
  for (const namespace of NAMESPACES) checkSpecs(value[namespace], namespace);
  if (value.time !== undefined && typeof value.time !== 'number') throw invalid('time is not a number');
  return value as ConfigSpecs;
}

export function parseDelta(input: unknown): StreamDelta {
  const value = typeof input === 'string' ? parseJson(input, 'delta') : input;
  if (!isObject(value)) throw invalid('the delta is not a JSON object');
  const { revision, baseRevision, time } = value;
  if (!Number.isInteger(revision) || !Number.isInteger(baseRevision) || typeof time !== 'number') {
    throw invalid('the delta lacks revision, baseRevision or time');
  }
  const changed = isObject(value.changed) ? value.changed : {};
  const removed = isObject(value.removed) ? value.removed : {};
  const delta: StreamDelta = {
    revision: revision as number,
    baseRevision: baseRevision as number,
    time,
    changed: {},
    removed: {},
  };
  for (const namespace of NAMESPACES) {
    if (changed[namespace] !== undefined) {
      delta.changed[namespace] = checkSpecs(changed[namespace], `changed.${namespace}`);
    }
    const names = removed[namespace];
    if (names !== undefined) {
      if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
        throw invalid(`removed.${namespace} is not a list of names`);
      }
      delta.removed[namespace] = names;
    }
  }
  if (isObject(value.layers)) delta.layers = value.layers as Record<string, string[]>;
  if (isObject(value.id_lists)) delta.id_lists = value.id_lists;
  return delta;
}

/** Deltas parsed lately, by their exact event text (see parseSharedDelta). */
const recentDeltas = new Map<string, StreamDelta>();
/** Frames of one change reach a process within milliseconds; a few suffice, and keep memory flat. */
const RECENT_DELTAS = 4;
/** Longer texts are parsed per instance rather than kept (a delta that rewrites a large project). */
const MAX_SHARED_DELTA_CHARS = 1024 * 1024;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * `parseDelta` for a stream event's text, parsed once per process: a process that runs several
 * SDK instances (per tenant, per worker pool) receives the same frame on each of their streams
 * within milliseconds. The result is shared between them and frozen: specs are never mutated
 * (the evaluator compiles copies of what it keeps), and freezing makes that a guarantee rather
 * than a convention. A text that fails to parse is not remembered; it throws for every instance.
 *
 * @example
 * const delta = parseSharedDelta(event.data); // the same object for the same text
 */
export function parseSharedDelta(text: string): StreamDelta {
  const known = recentDeltas.get(text);
  if (known) return known;
  const delta = deepFreeze(parseDelta(text));
  if (text.length <= MAX_SHARED_DELTA_CHARS) {
    recentDeltas.set(text, delta);
    if (recentDeltas.size > RECENT_DELTAS) {
      const oldest = recentDeltas.keys().next().value;
      if (oldest !== undefined) recentDeltas.delete(oldest);
    }
  }
  return delta;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(`the ${what} is not JSON: ${(error as Error).message}`);
  }
}

/** Name -> position in a namespace's spec list. */
type SpecIndex = Map<string, number>;

function indexList(list: readonly Spec[]): SpecIndex {
  const index: SpecIndex = new Map();
  for (let at = 0; at < list.length; at++) index.set((list[at] as Spec).name, at);
  return index;
}

const EMPTY_SPECS: ConfigSpecs = { feature_gates: [], dynamic_configs: [], layer_configs: [] };

/** Names in `before` or `after` whose spec JSON differs. */
function diffNames(before: Spec[] | undefined, after: Spec[] | undefined): string[] {
  const old = new Map((before ?? []).map((spec) => [spec.name, JSON.stringify(spec)]));
  const names: string[] = [];
  for (const spec of after ?? []) {
    if (old.get(spec.name) !== JSON.stringify(spec)) names.push(spec.name);
    old.delete(spec.name);
  }
  return [...names, ...old.keys()];
}

function lazyChange(meta: Omit<ConfigChange, 'changed'>, compute: () => ChangedNames): ConfigChange {
  let changed: ChangedNames | undefined;
  return {
    ...meta,
    get changed() {
      changed ??= compute();
      return changed;
    },
  };
}

/**
 * The configuration being served and its compiled evaluator. A new configuration compiles a
 * new evaluator, a delta a patch over the last full one (see IncrementalCompiler); either is
 * swapped in with one assignment, so a check in progress never sees half an update.
 */
export class SpecStore {
  specs: ConfigSpecs | null = null;
  evaluator: SpecEvaluator;
  revision: number | null = null;
  source: ConfigSource = CONFIG_SOURCES.none;
  /** When the held configuration was last confirmed current by the server (ms); 0 = never. */
  syncedAt = 0;
  /**
   * When the held configuration started being served, on the monotonic clock
   * (`performance.now()`, ms); learning its revision later (a reconnect) does not move it.
   */
  servingSince = 0;
  private readonly compiler: IncrementalCompiler;
  private namesCache: SpecNames | undefined;
  /** Per namespace, where each name sits in the held list: a delta replaces in place instead of re-indexing every spec. */
  private readonly indexes: Partial<Record<Namespace, { list: Spec[]; index: SpecIndex } | undefined>> = {};

  constructor(evaluatorOptions: EvaluatorOptions) {
    this.compiler = new IncrementalCompiler(evaluatorOptions);
    this.evaluator = this.compiler.full(EMPTY_SPECS);
  }

  /** Names defined per kind, for lookups that must not evaluate (OpenFeature key resolution); built on first use after each update. */
  get names(): SpecNames {
    if (!this.namesCache) {
      const namesOf = (list: Spec[] | undefined) => new Set((list ?? []).map((spec) => spec.name));
      this.namesCache = {
        gates: namesOf(this.specs?.feature_gates),
        configs: namesOf(this.specs?.dynamic_configs),
        layers: namesOf(this.specs?.layer_configs),
      };
    }
    return this.namesCache;
  }

  /** The DCS `time` of the held configuration; 0 when none. */
  get time(): number {
    return typeof this.specs?.time === 'number' ? this.specs.time : 0;
  }

  /** Serves `specs` (already checked by parseConfigSpecs) from now on. */
  replace(specs: ConfigSpecs, source: ConfigSource, revision: number | null): ConfigChange {
    const previous = this.specs;
    for (const namespace of NAMESPACES) this.indexes[namespace] = undefined;
    this.install(specs, this.compiler.full(specs), source, revision);
    return lazyChange({ revision, time: this.time, source }, () => ({
      gates: diffNames(previous?.feature_gates, specs.feature_gates),
      configs: diffNames(previous?.dynamic_configs, specs.dynamic_configs),
      layers: diffNames(previous?.layer_configs, specs.layer_configs),
    }));
  }

  /** Applies a stream delta; the caller checks that its base is the held revision. */
  applyDelta(delta: StreamDelta): ConfigChange {
    const current = this.specs ?? EMPTY_SPECS;
    const next: ConfigSpecs = { ...current, time: delta.time };
    const changes: SpecChange[] = [];
    const indexes: Partial<Record<Namespace, SpecIndex>> = {};
    for (const namespace of NAMESPACES) {
      const changed = delta.changed[namespace] ?? [];
      const removed = delta.removed[namespace] ?? [];
      if (changed.length === 0 && removed.length === 0) continue;
      const held = current[namespace] ?? [];
      // Taken, not borrowed: should anything below throw, the index is rebuilt on next use.
      const index = this.takeIndex(namespace, held);
      let list = held.slice();
      for (const spec of changed) {
        const at = index.get(spec.name);
        if (at === undefined) {
          index.set(spec.name, list.length);
          list.push(spec);
        } else {
          list[at] = spec;
        }
        changes.push({ namespace, name: spec.name, spec });
      }
      if (removed.length > 0) {
        const gone = new Set(removed);
        list = list.filter((spec) => !gone.has(spec.name));
        for (const name of removed) changes.push({ namespace, name, spec: undefined });
        indexes[namespace] = indexList(list);
      } else {
        indexes[namespace] = index;
      }
      next[namespace] = list;
    }
    if (delta.layers) next.layers = delta.layers;
    if (delta.id_lists) next.id_lists = delta.id_lists;
    const evaluator = this.compiler.update(next, changes);
    this.install(next, evaluator, CONFIG_SOURCES.network, delta.revision);
    for (const namespace of NAMESPACES) {
      const index = indexes[namespace];
      if (index) this.indexes[namespace] = { list: next[namespace], index };
    }
    // Fresh arrays per instance: a listener may keep or change them.
    const names = (namespace: Namespace) => {
      const list = (delta.changed[namespace] ?? []).map((spec) => spec.name);
      for (const name of delta.removed[namespace] ?? []) list.push(name);
      return list;
    };
    return {
      revision: delta.revision,
      time: delta.time,
      source: CONFIG_SOURCES.network,
      changed: {
        gates: names('feature_gates'),
        configs: names('dynamic_configs'),
        layers: names('layer_configs'),
      },
    };
  }

  /** The position of each name in `list` (the last of a name, as the evaluator serves it), detached from the store. */
  private takeIndex(namespace: Namespace, list: Spec[]): SpecIndex {
    const held = this.indexes[namespace];
    this.indexes[namespace] = undefined;
    return held?.list === list ? held.index : indexList(list);
  }

  private install(
    specs: ConfigSpecs,
    evaluator: SpecEvaluator,
    source: ConfigSource,
    revision: number | null,
  ): void {
    this.specs = specs;
    this.evaluator = evaluator;
    this.servingSince = performance.now();
    this.namesCache = undefined;
    this.source = source;
    this.revision = revision;
  }
}
