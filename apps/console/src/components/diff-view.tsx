/**
 * A readable structural diff of two JSON values: one line per changed leaf, with a path people
 * can read (`rules[Employees].passPercentage`). Arrays of named objects (rules, stages, groups)
 * are matched by id or name rather than position, so inserting a rule shows one added rule,
 * not every rule after it as changed.
 */

export interface DiffLine {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

type Obj = Record<string, unknown>;

const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The field that identifies the items of both arrays (distinct within each), if any. */
function keyField(before: readonly unknown[], after: readonly unknown[]): string | null {
  if (before.length + after.length === 0) return null;
  const distinct = (items: readonly unknown[], field: string) => {
    const keys = items.map((item) => (isObject(item) ? item[field] : undefined));
    return keys.every((key) => typeof key === 'string') && new Set(keys).size === keys.length;
  };
  for (const field of ['id', 'ruleId', 'name']) {
    if (distinct(before, field) && distinct(after, field)) return field;
  }
  return null;
}

function label(item: unknown, key: string): string {
  const name = isObject(item) && typeof item.name === 'string' ? item.name : key;
  return `[${name}]`;
}

function join(path: string, key: string): string {
  if (key.startsWith('[')) return `${path}${key}`;
  return path ? `${path}.${key}` : key;
}

export function diffValues(before: unknown, after: unknown, path = ''): DiffLine[] {
  if (equal(before, after)) return [];
  // A creation or deletion of a whole object reads better field by field.
  if ((before === null || before === undefined) && isObject(after) && path === '')
    return diffValues({}, after, path);
  if ((after === null || after === undefined) && isObject(before) && path === '')
    return diffValues(before, {}, path);
  if (before === undefined) return [{ path, kind: 'added', after }];
  if (after === undefined) return [{ path, kind: 'removed', before }];
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((key) => !(key in before))];
    return keys.flatMap((key) => diffValues(before[key], after[key], join(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const field = keyField(before, after);
    if (field) {
      const keyOf = (item: unknown) => String((item as Obj)[field]);
      const old = new Map(before.map((item) => [keyOf(item), item]));
      const kept = new Set(after.map(keyOf));
      const lines: DiffLine[] = after.flatMap((item) =>
        diffValues(old.get(keyOf(item)), item, join(path, label(item, keyOf(item)))),
      );
      for (const item of before) {
        if (!kept.has(keyOf(item)))
          lines.push({ path: join(path, label(item, keyOf(item))), kind: 'removed', before: item });
      }
      // The same items in a new order (rules moved up or down): said once.
      const names = (items: unknown[]) =>
        items
          .filter((item) => old.has(keyOf(item)) && kept.has(keyOf(item)))
          .map((item) => (isObject(item) && typeof item.name === 'string' ? item.name : keyOf(item)));
      if (JSON.stringify(names(before)) !== JSON.stringify(names(after))) {
        lines.push({ path: `${path} (order)`, kind: 'changed', before: names(before), after: names(after) });
      }
      return lines;
    }
    // Lists of plain values (tags, ID lists, environments) read best whole.
    if (![...before, ...after].some((item) => isObject(item) || Array.isArray(item))) {
      return [{ path, kind: 'changed', before, after }];
    }
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, index) =>
      diffValues(before[index], after[index], join(path, `[${index}]`)),
    ).flat();
  }
  return [{ path, kind: 'changed', before, after }];
}

function show(value: unknown): string {
  if (value === undefined) return '';
  return (
    JSON.stringify(
      value,
      null,
      isObject(value) || (Array.isArray(value) && value.some(isObject)) ? 2 : undefined,
    ) ?? ''
  );
}

const KIND_LABEL: Record<DiffLine['kind'], string> = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
};

/** The diff as a table: field, before, after; rows marked added / removed / changed in text too. */
export function DiffView({
  before,
  after,
  label: caption = 'Changes',
}: {
  before: unknown;
  after: unknown;
  label?: string;
}) {
  const lines = diffValues(before, after);
  if (lines.length === 0) return <p className="muted">No differences.</p>;
  return (
    <table className="table diff" aria-label={caption}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={`${line.kind}:${line.path}`} className={`diff-${line.kind}`}>
            <th scope="row">
              <code>{line.path || '(value)'}</code> <span className="diff-kind">{KIND_LABEL[line.kind]}</span>
            </th>
            <td>{line.kind !== 'added' && <pre className="diff-before">{show(line.before)}</pre>}</td>
            <td>{line.kind !== 'removed' && <pre className="diff-after">{show(line.after)}</pre>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
