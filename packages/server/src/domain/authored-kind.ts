import type { z } from 'zod';
import type { ChangeContext, EntityWriter } from '../store/entity-store.js';

/** A named action on one object, e.g. a gate's kill switch or an experiment's start. */
export interface KindAction<Stored> {
  /** URL segment: `POST /api/v1/<path>/:name/<name>`. */
  name: string;
  summary: string;
  /** Fields the action reads besides `reason`. */
  body?: z.ZodObject;
  /** The stored form after the action; throws a DomainError when it does not apply now. */
  apply(current: Stored, body: Record<string, unknown>, now: number): Stored;
}

/**
 * One kind of object people author through `/api/v1/<path>`: gates, segments, dynamic configs,
 * layers and experiments. The generic service and routes (services/authoring-service.ts,
 * routes/authoring.ts) give every kind the same create / read / change / history / revert API;
 * this says what is particular to the kind.
 */
export interface AuthoredKind<Stored extends { name: string } = { name: string }> {
  /** Storage kind and singular label, e.g. `gate`. */
  kind: string;
  /** URL segment and OpenAPI tag, e.g. `gates`. */
  path: string;
  /**
   * Where the kind compiles to in a DCS, and its name there (segments get a prefix); null for
   * kinds SDKs never see (metrics).
   */
  namespace: 'feature_gates' | 'dynamic_configs' | 'layer_configs' | null;
  specName(name: string): string;
  input: z.ZodObject;
  patch: z.ZodObject;
  stored: z.ZodObject;
  /** The stored form of a new object: salts and rule ids are fixed here. */
  create(input: never, now: number): Stored;
  /** The stored form after a change; rules that keep their id keep their salt. */
  update(current: Stored, patch: never, now: number): Stored;
  /** The gates the object refers to: each must exist (a typo would silently never pass). */
  references?(stored: Stored): { name: string; field: string }[];
  /** Whether the kind has rules with salts (a `resalt` action). */
  hasRules: boolean;
  actions: KindAction<Stored>[];
  /**
   * Checks against other objects, run inside the write's transaction before it commits, after
   * every create, change, action and revert (e.g. the layer an experiment names must exist).
   */
  validate?(next: Stored, writer: EntityWriter): Promise<void>;
  /** Keeps other objects in step, inside the same transaction (an experiment's layer slots). */
  afterWrite?(
    next: Stored,
    previous: Stored | undefined,
    writer: EntityWriter,
    change: ChangeContext,
  ): Promise<void>;
}

/** `enable` / `disable`: the kill switch of gates and configs. */
export function killSwitchActions<Stored extends { enabled: boolean }>(label: string): KindAction<Stored>[] {
  return [
    {
      name: 'disable',
      summary: `Kill switch: turn a ${label} off everywhere (everyone gets the default)`,
      apply: (current) => ({ ...current, enabled: false }),
    },
    {
      name: 'enable',
      summary: `Turn a ${label} back on`,
      apply: (current) => ({ ...current, enabled: true }),
    },
  ];
}
