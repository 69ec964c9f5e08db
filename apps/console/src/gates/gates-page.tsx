import { memo, startTransition, useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { Environment, Gate } from '../api/types.js';
import { useResource } from '../api/use-api.js';
import { EmptyState, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';
import { Link, setQuery, useLocation } from '../router.js';
import { releaseSummary } from './release-summary.js';

export interface GateFilters {
  q: string;
  tag: string;
  /** `on` / `off` (in `env` when given, else anywhere), or empty for all. */
  status: string;
  /** `yes` / `no`, or empty. */
  plan: string;
  env: string;
}

/** New rows rendered in a list's first pass: more than a 1280 x 1024 screen shows. */
export const FIRST_ROWS = 40;
/**
 * Rows added per background pass after that. A pass renders in a transition (React yields to
 * keys pressed meanwhile) and commits at once; 100, 150, 300 and 500 typed about as fast with
 * the CPU slowed 4x, and 300 filled the list soonest (apps/console/bench/gates-list.bench.ts).
 */
export const ROWS_PER_PASS = 300;

/** Whether the gate serves its rules in `environment` (all environments when empty). */
export function gateIsOn(gate: Gate, environment: string): boolean {
  if (!gate.enabled) return false;
  return environment ? !gate.disabledIn.includes(environment) : gate.disabledIn.length === 0;
}

/**
 * The list's filter in one pass, with the search text lower-cased once: 1,000 gates filter in
 * well under a millisecond, so typing needs no debounce (the list itself renders deferred).
 */
export function filterGates(gates: readonly Gate[], filters: GateFilters): Gate[] {
  const q = filters.q.trim().toLowerCase();
  return gates.filter((gate) => {
    if (
      q &&
      !gate.name.includes(q) &&
      !gate.description.toLowerCase().includes(q) &&
      !gate.tags.some((tag) => tag.toLowerCase().includes(q))
    ) {
      return false;
    }
    if (filters.tag && !gate.tags.includes(filters.tag)) return false;
    if (filters.status === 'on' && !gateIsOn(gate, filters.env)) return false;
    if (filters.status === 'off' && gateIsOn(gate, filters.env)) return false;
    if (filters.plan === 'yes' && !gate.releasePlan) return false;
    if (filters.plan === 'no' && gate.releasePlan) return false;
    return true;
  });
}

export function GatesPage() {
  const gates = useResource<{ gates: Gate[] }>('/gates');
  const environments = useResource<{ environments: Environment[] }>('/environments');
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const tag = query.get('tag') ?? '';
  const status = query.get('status') ?? '';
  const plan = query.get('plan') ?? '';
  const env = query.get('env') ?? '';
  // One object per distinct set of filters: the table's deferred filtering only runs again when
  // a filter changes, not whenever the page re-renders (each navigation event re-renders it).
  const filters = useMemo<GateFilters>(() => ({ q, tag, status, plan, env }), [q, tag, status, plan, env]);

  return (
    <section aria-labelledby="gates-title">
      <header className="page-header">
        <h1 id="gates-title">Feature gates</h1>
        <Link to="/gates/new" className="button primary">
          New gate
        </Link>
      </header>
      <Loaded resource={gates} label="gates">
        {(data) => (
          <GatesTable
            gates={data.gates}
            environments={environments.data?.environments ?? []}
            filters={filters}
          />
        )}
      </Loaded>
    </section>
  );
}

function GatesTable({
  gates,
  environments,
  filters,
}: {
  gates: Gate[];
  environments: Environment[];
  filters: GateFilters;
}) {
  const tags = useMemo(() => [...new Set(gates.flatMap((gate) => gate.tags))].sort(), [gates]);
  const sorted = useMemo(() => [...gates].sort((a, b) => b.updatedAt - a.updatedAt), [gates]);
  // Typing in the search box stays instant; the table catches up in a lower-priority render.
  const deferred = useDeferredValue(filters);
  const shown = useMemo(() => filterGates(sorted, deferred), [sorted, deferred]);
  const rows = useProgressiveRows(shown);
  // "Last change" is relative to when the list was opened (the exact time is in each cell's
  // title): a clock read on every render would give every row new props, so each keystroke
  // would re-render all 1,000 memoised rows.
  const [now] = useState(Date.now);

  if (gates.length === 0) {
    return (
      <EmptyState title="No gates yet">
        <p>
          A gate turns a feature on for some users. <Link to="/gates/new">Create the first one</Link>.
        </p>
      </EmptyState>
    );
  }

  return (
    <>
      <search className="filters" aria-label="Filter gates">
        <label>
          Search gates
          <input
            type="search"
            value={filters.q}
            placeholder="Name, description or tag"
            onChange={(event) => setQuery({ q: event.target.value })}
          />
        </label>
        <label>
          Tag
          <select value={filters.tag} onChange={(event) => setQuery({ tag: event.target.value })}>
            <option value="">Any tag</option>
            {tags.map((tag) => (
              <option key={tag} value={tag}>
                {tag}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status} onChange={(event) => setQuery({ status: event.target.value })}>
            <option value="">On or off</option>
            <option value="on">On</option>
            <option value="off">Off</option>
          </select>
        </label>
        <label>
          Environment
          <select value={filters.env} onChange={(event) => setQuery({ env: event.target.value })}>
            <option value="">All environments</option>
            {environments.map((environment) => (
              <option key={environment.name} value={environment.name}>
                {environment.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Release plan
          <select value={filters.plan} onChange={(event) => setQuery({ plan: event.target.value })}>
            <option value="">With or without</option>
            <option value="yes">Has a release plan</option>
            <option value="no">No release plan</option>
          </select>
        </label>
      </search>
      <p className="muted" role="status" aria-live="polite">
        {shown.length === gates.length ? `${gates.length} gates` : `${shown.length} of ${gates.length} gates`}
      </p>
      {shown.length === 0 ? (
        <EmptyState title="No gate matches these filters" />
      ) : (
        // Rows are CSS grid rows (styles.css, .gates-table) so that off-screen ones can skip
        // layout and paint (`content-visibility`), which table-layout rows cannot.
        <table className="table gates-table" aria-label="Gates">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Release</th>
              <th scope="col">Rules</th>
              <th scope="col">Tags</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((gate) => (
              <GateRow key={gate.name} gate={gate} environment={deferred.env} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/**
 * How long a prefix of `next` a list's first pass renders: up to the row before the
 * (FIRST_ROWS + 1)th row that is not `mounted` (not on the page yet). Narrowing a search only
 * removes rows, so its whole list renders at once with nothing new to build.
 */
export function rowsInFirstPass<T>(next: readonly T[], mounted: ReadonlySet<T>): number {
  let fresh = 0;
  for (const [index, item] of next.entries()) {
    if (!mounted.has(item) && ++fresh > FIRST_ROWS) return index;
  }
  return next.length;
}

interface Progress<T> {
  items: readonly T[];
  /** The prefix of `items` rendered so far. */
  count: number;
  /** Rows past the prefix that were on the page when `items` came: they stay. */
  kept: ReadonlySet<T>;
}

function renderedRows<T>({ items, count, kept }: Progress<T>): readonly T[] {
  if (count >= items.length) return items;
  return items.filter((item, index) => index < count || kept.has(item));
}

/**
 * The rows to render of `items`: a first pass at once (the first screenful, and every row
 * already on the page), then ROWS_PER_PASS more per background pass (a transition, so keys
 * pressed meanwhile go first) until all are there. Rendering 1,000 rows in one go is a long task
 * on a slow laptop: on the first load, and whenever a search is cleared.
 */
function useProgressiveRows<T>(items: readonly T[]): readonly T[] {
  const [state, setState] = useState<Progress<T>>(() => ({
    items,
    count: Math.min(items.length, FIRST_ROWS),
    kept: new Set(),
  }));
  let current = state;
  if (state.items !== items) {
    // A new list (filters changed): adjust while rendering, so no frame shows the old rows.
    const mounted = new Set(renderedRows(state));
    current = { items, count: rowsInFirstPass(items, mounted), kept: mounted };
    setState(current);
  }
  const { count } = current;
  useEffect(() => {
    if (count >= items.length) return;
    const timer = setTimeout(() =>
      startTransition(() =>
        setState((previous) =>
          previous.items === items
            ? { ...previous, count: Math.min(items.length, previous.count + ROWS_PER_PASS) }
            : previous,
        ),
      ),
    );
    return () => clearTimeout(timer);
  }, [items, count]);
  return useMemo(() => renderedRows(current), [current]);
}

/** One row; memoised so filtering re-renders only the rows that appear. */
const GateRow = memo(function GateRow({
  gate,
  environment,
  now,
}: {
  gate: Gate;
  environment: string;
  now: number;
}) {
  const on = gateIsOn(gate, environment);
  const partlyOff = gate.enabled && !environment && gate.disabledIn.length > 0;
  return (
    <tr>
      <th scope="row">
        <Link to={`/gates/${encodeURIComponent(gate.name)}`}>{gate.name}</Link>
        {gate.description && <span className="row-description">{gate.description}</span>}
      </th>
      <td>
        {partlyOff ? (
          <span className="badge warn">Off in {gate.disabledIn.join(', ')}</span>
        ) : (
          <span className={`badge ${on ? 'on' : 'off'}`}>{on ? 'On' : 'Off'}</span>
        )}
      </td>
      <td>{gate.releasePlan ? releaseSummary(gate.releasePlan) : <span className="muted">—</span>}</td>
      <td>{gate.rules.length}</td>
      <td>
        {gate.tags.map((tag) => (
          <span key={tag} className="tag">
            {tag}
          </span>
        ))}
      </td>
      <td title={formatDateTime(gate.updatedAt)}>{formatRelative(gate.updatedAt, now)}</td>
    </tr>
  );
});
