/**
 * The two browser APIs the client uses that Node 20 lacks, for tests only: `localStorage` (an
 * in-memory Storage) and `EventSource` (enough of it for `/v1/stream`: named events, close,
 * readyState; it does not reconnect).
 */

export class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
  keys(): string[] {
    return [...this.items.keys()];
  }
}

export class NodeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  /** Every instance created, so tests can check streams were opened and closed. */
  static readonly instances: NodeEventSource[] = [];
  readyState = 0;
  onerror: ((event: Event) => void) | null = null;
  private readonly abort = new AbortController();

  constructor(readonly url: string) {
    super();
    NodeEventSource.instances.push(this);
    void this.run();
  }

  close(): void {
    this.readyState = 2;
    this.abort.abort();
  }

  private async run(): Promise<void> {
    try {
      const response = await fetch(this.url, { signal: this.abort.signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      this.readyState = 1;
      const decoder = new TextDecoder();
      let buffer = '';
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    }
    if (this.readyState !== 2) {
      this.readyState = 2;
      this.onerror?.(new Event('error'));
    }
  }

  private dispatch(frame: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) this.dispatchEvent(new MessageEvent(type, { data: data.join('\n') }));
  }
}

/** Installs both globals for the current test file (Vitest runs each file in its own process). */
export function installBrowserGlobals(): MemoryStorage {
  const storage = new MemoryStorage();
  Object.assign(globalThis, { localStorage: storage, EventSource: NodeEventSource });
  return storage;
}
