import { Agent, type ClientRequest, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FanOutOptions {
  /** Server origin, e.g. http://127.0.0.1:4000 */
  origin: string;
  serverKey: string;
  streams: number;
  rounds: number;
  /** Makes one configuration change (a gate kill switch), alternating per round. */
  change: (round: number) => Promise<void>;
  /** How long a round may take before the streams still waiting count as failures. */
  roundTimeoutMs: number;
}

export interface FanOutResult {
  streams: number;
  rounds: number;
  /** Milliseconds from sending the change to each stream's complete `config` event, all rounds. */
  p50: number;
  p99: number;
  max: number;
  /** Milliseconds the change request itself took (its HTTP response), median over rounds. */
  changeP50: number;
  /** Milliseconds from sending the change to the first bytes of each stream's event. */
  firstByteP50: number;
  firstByteP99: number;
  /** Stream-rounds that never saw the new revision within the round timeout. */
  missed: number;
  /** Bytes of one `config` event (the full download_config_specs JSON). */
  eventBytes: number;
}

const NEWLINE = 0x0a;
/** Enough of an event to read its `id:` and `event:` lines. */
const HEADER_CHARS = 64;
const HEADER = /^id: (\d+)\nevent: ([a-z_]+)/;

/**
 * One `/v1/stream` connection. Events are delimited by a blank line (their JSON payload is one
 * `data:` line), so only each event's first bytes are decoded: a 1,000-stream fan-out of a
 * large config would otherwise spend the load generator's CPU on UTF-8 decoding.
 */
class StreamWatcher {
  /** Highest `config` (or initial `revision`) id seen, when its first bytes came and when it completed. */
  revision = -1;
  firstByteAt = 0;
  receivedAt = 0;
  eventBytes = 0;
  private header = '';
  private headerSeenAt = 0;
  private bytesInEvent = 0;
  private pendingNewline = false;
  private onEvent: (() => void) | undefined;

  constructor(readonly client: ClientRequest) {}

  receive(chunk: Buffer): void {
    let start = 0;
    if (this.pendingNewline) {
      // The previous chunk ended with "\n": a blank line if this one starts with another.
      if (chunk[0] === NEWLINE) {
        this.endEvent(2);
        start = 1;
      } else {
        this.bytesInEvent += 1;
      }
    }
    for (;;) {
      const end = chunk.indexOf('\n\n', start);
      const stop = end === -1 ? chunk.length : end;
      if (this.header.length < HEADER_CHARS) {
        const room = HEADER_CHARS - this.header.length;
        if (this.header.length === 0) this.headerSeenAt = performance.now();
        this.header += chunk.toString('latin1', start, Math.min(stop, start + room));
      }
      if (end === -1) {
        this.bytesInEvent += chunk.length - start;
        break;
      }
      this.bytesInEvent += end - start;
      this.endEvent(2);
      start = end + 2;
    }
    this.pendingNewline = start < chunk.length && chunk[chunk.length - 1] === NEWLINE;
    if (this.pendingNewline) this.bytesInEvent -= 1;
  }

  /** Resolves when an event with an id above `revision` has completed. */
  waitBeyond(revision: number): Promise<void> {
    if (this.revision > revision) return Promise.resolve();
    return new Promise((resolve) => {
      this.onEvent = () => {
        if (this.revision > revision) {
          this.onEvent = undefined;
          resolve();
        }
      };
    });
  }

  private endEvent(terminator: number): void {
    const now = performance.now();
    const match = HEADER.exec(this.header);
    const size = this.bytesInEvent + terminator;
    this.header = '';
    this.bytesInEvent = 0;
    if (!match) return; // a heartbeat comment
    const id = Number(match[1]);
    if ((match[2] === 'config' || match[2] === 'delta' || match[2] === 'revision') && id > this.revision) {
      this.revision = id;
      this.firstByteAt = this.headerSeenAt;
      this.receivedAt = now;
      if (match[2] !== 'revision') this.eventBytes = size;
      this.onEvent?.();
    }
  }
}

function connect(url: string, headers: Record<string, string>, agent: Agent): Promise<StreamWatcher> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: 'text/event-stream', ...headers } });
    const watcher = new StreamWatcher(req);
    req.setTimeout(10_000, () => req.destroy(new Error('stream connect timed out')));
    req.on('error', reject);
    req.on('response', (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET /v1/stream answered ${response.statusCode}`));
        response.resume();
        return;
      }
      req.setTimeout(0);
      response.on('data', (chunk: Buffer) => watcher.receive(chunk));
      resolve(watcher);
    });
    req.end();
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Opens `streams` connections to `/v1/stream`, then, per round, makes a change and times how
 * long each stream takes to receive the complete `config` event of the new revision.
 */
export async function measureFanOut(options: FanOutOptions): Promise<FanOutResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const url = `${options.origin}/v1/stream`;
  const auth = { authorization: `Bearer ${options.serverKey}` };
  const watchers: StreamWatcher[] = [];
  try {
    // The first stream reads the current revision; the rest resume from it (Last-Event-ID), so
    // they skip the full config on connect, as a reconnecting SDK would.
    const first = await connect(url, auth, agent);
    watchers.push(first);
    await first.waitBeyond(-1);
    const resume = { ...auth, 'last-event-id': String(first.revision) };
    // Batches keep the listen backlog from overflowing (a SYN retry costs a second).
    for (let opened = 1; opened < options.streams; ) {
      const batch = Math.min(100, options.streams - opened);
      watchers.push(...(await Promise.all(Array.from({ length: batch }, () => connect(url, resume, agent)))));
      opened += batch;
    }
    await Promise.all(watchers.map((watcher) => watcher.waitBeyond(-1)));

    const latencies: number[] = [];
    const firstBytes: number[] = [];
    const changes: number[] = [];
    let missed = 0;
    let eventBytes = 0;
    for (let round = 0; round < options.rounds; round++) {
      const baseline = watchers.map((watcher) => watcher.revision);
      const sent = performance.now();
      await options.change(round);
      changes.push(performance.now() - sent);
      const waits = watchers.map((watcher, index) => watcher.waitBeyond(baseline[index] as number));
      await Promise.race([Promise.all(waits), sleep(options.roundTimeoutMs)]);
      for (const [index, watcher] of watchers.entries()) {
        if (watcher.revision > (baseline[index] as number)) {
          latencies.push(watcher.receivedAt - sent);
          firstBytes.push(watcher.firstByteAt - sent);
        } else {
          missed += 1;
        }
        eventBytes = Math.max(eventBytes, watcher.eventBytes);
      }
      // Let the server settle (and collect garbage) before the next change.
      await sleep(250);
    }
    const sorted = Float64Array.from(latencies).sort();
    const sortedFirst = Float64Array.from(firstBytes).sort();
    return {
      streams: watchers.length,
      rounds: options.rounds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
      changeP50: percentile(Float64Array.from(changes).sort(), 50),
      firstByteP50: percentile(sortedFirst, 50),
      firstByteP99: percentile(sortedFirst, 99),
      missed,
      eventBytes,
    };
  } finally {
    for (const watcher of watchers) watcher.client.destroy();
    agent.destroy();
  }
}
