import type { ReactNode } from 'react';
import { formatDateTime, formatRelative } from '../format.js';
import { Link } from '../router.js';

/** A list of objects as a table: a header row of `columns`, then `children` (the rows). */
export function DataTable({
  label,
  columns,
  className,
  children,
}: {
  /** The table's accessible name. */
  label: string;
  columns: readonly ReactNode[];
  className?: string;
  children: ReactNode;
}) {
  return (
    <table className={className ? `table ${className}` : 'table'} aria-label={label}>
      <thead>
        <tr>
          {columns.map((column, index) => (
            // Columns are fixed per table: their position is their identity.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <th key={index} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A list row's header: the object's name (a link to its page, when it has one) and its description. */
export function NameCell({
  name,
  to,
  description,
}: {
  name: ReactNode;
  to?: string;
  description?: ReactNode;
}) {
  return (
    <th scope="row">
      {to ? <Link to={to}>{name}</Link> : name}
      {description && <div className="row-description">{description}</div>}
    </th>
  );
}

/** When a row last changed: relative, with the exact time on hover. */
export function ChangedCell({ at }: { at: number }) {
  return <td title={formatDateTime(at)}>{formatRelative(at)}</td>;
}

/** Sort orders for lists: by name, or most recently changed first. */
export const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
export const byNewest = (a: { updatedAt: number }, b: { updatedAt: number }) => b.updatedAt - a.updatedAt;
