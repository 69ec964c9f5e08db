import type { IncomingEvent } from '../store/event-store.js';

/** The user fields SDKs send at the top level; anything else lives in `custom`. */
const TOP_LEVEL = ['userID', 'email', 'ip', 'userAgent', 'country', 'locale', 'appVersion'] as const;

export interface SeenAttribute {
  /** As a condition's `field` names it: `email`, or a custom attribute's own name. */
  field: string;
  /** Where it was seen: a top-level user field, `custom`, or `customIDs` (a unit type). */
  source: 'user' | 'custom' | 'customIDs';
  /** Exposures sampled that carried it. */
  seen: number;
  /** A few distinct values, for suggestions (not stored; private attributes never read). */
  examples: string[];
  lastSeen: number;
}

const MAX_FIELDS = 300;
const MAX_EXAMPLES = 8;
const MAX_EXAMPLE_LENGTH = 80;

/**
 * The user attributes recently seen in exposures, per environment, for the console's condition
 * builder ("field suggestions"). In memory, per instance, bounded: it samples one exposure in
 * `sampleEvery`, so ingestion pays next to nothing for it, and a busy environment still shows
 * every attribute in use within seconds. `privateAttributes` are never read.
 */
export class UserAttributeCatalog {
  private readonly byEnvironment = new Map<string, Map<string, SeenAttribute>>();
  private counter = 0;

  constructor(
    private readonly sampleEvery = 16,
    private readonly clock: () => number = Date.now,
  ) {}

  observe(environment: string, events: readonly IncomingEvent[]): void {
    for (const event of events) {
      if (!event.user || !event.eventName.startsWith('statsig::')) continue;
      this.counter += 1;
      if (this.counter % this.sampleEvery !== 0) continue;
      this.record(environment, event.user);
    }
  }

  list(environment: string): SeenAttribute[] {
    return [...(this.byEnvironment.get(environment)?.values() ?? [])].sort((a, b) => b.seen - a.seen);
  }

  private record(environment: string, user: Record<string, unknown>): void {
    let fields = this.byEnvironment.get(environment);
    if (!fields) {
      fields = new Map();
      this.byEnvironment.set(environment, fields);
    }
    const now = this.clock();
    const note = (field: string, source: SeenAttribute['source'], value: unknown) => {
      if (value === undefined || value === null || typeof value === 'object') return;
      const key = `${source}:${field}`;
      let seen = fields.get(key);
      if (!seen) {
        if (fields.size >= MAX_FIELDS) return;
        seen = { field, source, seen: 0, examples: [], lastSeen: now };
        fields.set(key, seen);
      }
      seen.seen += 1;
      seen.lastSeen = now;
      const example = String(value).slice(0, MAX_EXAMPLE_LENGTH);
      if (seen.examples.length < MAX_EXAMPLES && !seen.examples.includes(example))
        seen.examples.push(example);
    };
    for (const field of TOP_LEVEL) note(field, 'user', user[field]);
    for (const [group, source] of [
      ['custom', 'custom'],
      ['customIDs', 'customIDs'],
    ] as const) {
      const values = user[group];
      if (values && typeof values === 'object' && !Array.isArray(values)) {
        for (const [field, value] of Object.entries(values)) note(field, source, value);
      }
    }
  }
}
