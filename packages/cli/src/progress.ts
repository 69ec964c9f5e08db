import cliProgress from 'cli-progress';
import type { CliIo } from './io.js';

/** Progress of long work (an upload, a large apply): drawn on a terminal's stderr, silent elsewhere. */
export interface Progress {
  increment(by?: number): void;
  stop(): void;
}

const SILENT: Progress = { increment() {}, stop() {} };

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A bar for `total` units of work (`bytes` shows sizes). Only on a terminal and when there is
 * enough work to be worth a bar; scripts and CI logs (no TTY) get no control characters.
 */
export function startProgress(
  io: CliIo,
  label: string,
  total: number,
  unit: 'bytes' | 'changes',
  { minimum = 0 }: { minimum?: number } = {},
): Progress {
  if (io.stderr.isTTY !== true || total <= minimum) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr as NodeJS.WritableStream,
      format: `${label} [{bar}] {percentage}% | {value}/{total}${unit === 'changes' ? ' changes' : ''} | {duration_formatted}`,
      formatValue: (value, _options, type) =>
        unit === 'bytes' && (type === 'value' || type === 'total') ? formatBytes(value) : String(value),
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    increment: (by = 1) => bar.increment(by),
    stop: () => bar.stop(),
  };
}

/** Counts the bytes of a stream as they are read (an upload's progress). */
export async function* countingBytes(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  progress: Progress,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    progress.increment(bytes.length);
    yield bytes;
  }
}
