import { type IncomingHttpHeaders, request } from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A minimal server-sent-events reader over node:http for tests: one connection per client, no
 * reconnection, every event and comment kept.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  /** Comment lines received (heartbeats). */
  comments = 0;
  /** The body, when the server answered with something other than an event stream. */
  body = '';
  /** Resolves when the server ends the stream or the connection closes. */
  readonly ended: Promise<void>;
  private buffer = '';
  private readonly waiters = new Set<() => void>();
  private markEnded: () => void = () => {};

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly destroy: () => void,
  ) {
    this.ended = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  /** Connects and resolves once the response headers arrive. */
  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
      req.on('error', reject);
      req.on('response', (response) => {
        const client = new SseClient(response.statusCode ?? 0, response.headers, () => req.destroy());
        const isStream = String(response.headers['content-type']).startsWith('text/event-stream');
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (isStream) client.receive(chunk);
          else client.body += chunk;
        });
        response.on('close', () => client.markEnded());
        response.on('error', () => client.markEnded());
        resolve(client);
      });
      req.end();
    });
  }

  /** Resolves with the first event (already received or still to come) that `match` accepts. */
  waitFor(match: (event: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(found);
        return true;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.names())}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** `event:id` of everything received, for assertions and failure messages. */
  names(): string[] {
    return this.events.map((event) => `${event.event}:${event.id}`);
  }

  close(): void {
    this.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      this.parseBlock(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
      end = this.buffer.indexOf('\n\n');
    }
    for (const waiter of [...this.waiters]) waiter();
  }

  private parseBlock(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments += 1;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) this.events.push({ id, event, data: data.join('\n') });
  }
}
