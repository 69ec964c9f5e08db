import { stripVTControlCharacters, styleText } from 'node:util';
import { type CliIo, type OutputStream, wantsColor } from './io.js';

type Style = Parameters<typeof styleText>[0];

/** Text for the terminal: coloured only when the stream is a terminal (and NO_COLOR is unset). */
export class Printer {
  readonly color: boolean;

  constructor(
    readonly io: CliIo,
    readonly stream: OutputStream = io.stdout,
  ) {
    this.color = wantsColor(stream, io.env);
  }

  style(format: Style, text: string): string {
    return this.color ? styleText(format, text) : text;
  }

  line(text = ''): void {
    this.stream.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stream.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Columns padded to their widest cell; `align` right-aligns numeric columns. */
  table(headers: string[], rows: string[][], align: ('left' | 'right')[] = []): void {
    const width = (text: string) => stripVTControlCharacters(text).length;
    const widths = headers.map((header, column) =>
      Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))),
    );
    const render = (cells: string[]) =>
      cells
        .map((cell, column) => {
          const padding = ' '.repeat(Math.max(0, (widths[column] ?? 0) - width(cell)));
          if (column === cells.length - 1 && align[column] !== 'right') return cell;
          return align[column] === 'right' ? padding + cell : cell + padding;
        })
        .join('  ')
        .trimEnd();
    this.line(this.style('bold', render(headers)));
    for (const row of rows) this.line(render(row));
  }
}

/** `12,345`. */
export const formatCount = (value: number) => value.toLocaleString('en-US');

/** A relative change as a signed percentage: 0.092 -> `+9.2%`; null or infinite -> `—` / `∞`. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '∞';
  if (!Number.isFinite(fraction)) return fraction > 0 ? '+∞' : '-∞';
  const percent = fraction * 100;
  const text = Math.abs(percent) >= 100 ? percent.toFixed(0) : percent.toFixed(1);
  return `${percent > 0 ? '+' : ''}${text}%`;
}

/** A mean for a table: four significant digits, no exponent for everyday magnitudes. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '0';
  if (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
