/** Display helpers: times, durations, numbers and percentages, the same way everywhere. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : dateTime.format(ms);
}

/** "3 min ago", "in 2 h": for lists where the exact time is in the title attribute. */
export function formatRelative(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '—';
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [seconds, 's']
      : abs < 3600
        ? [Math.round(seconds / 60), 'min']
        : abs < 86400
          ? [Math.round(seconds / 3600), 'h']
          : [Math.round(seconds / 86400), 'd'];
  if (abs < 5) return 'just now';
  return value < 0 ? `${-value} ${unit} ago` : `in ${value} ${unit}`;
}

/** Milliseconds as "850 ms", "4.2 s", "3 min", "2 h 5 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

const integer = new Intl.NumberFormat('en-US');

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** A metric mean: 3 significant digits, small numbers kept readable. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1000) return integer.format(Math.round(n));
  return Number(n.toPrecision(3)).toString();
}

/** A relative lift (0.05 = +5%) with its sign. */
export function formatLift(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  const percent = fraction * 100;
  const text = Math.abs(percent) >= 100 ? percent.toFixed(0) : percent.toFixed(1);
  return `${percent > 0 ? '+' : ''}${text}%`;
}

export function formatPValue(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  if (p < 0.001) return '< 0.001';
  return p.toFixed(3);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The `key:abc` actor of an audit entry or version, as people read it. */
export function formatActor(actor: string): string {
  if (actor.startsWith('system:')) return actor.slice('system:'.length).replace(/-/g, ' ');
  // Keys are named by id (never the secret); the first block tells them apart on the keys page.
  if (actor.startsWith('key:')) return `key ${actor.slice(4, 12)}`;
  return actor;
}
