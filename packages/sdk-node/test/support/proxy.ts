import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  status: number | null;
  /** When the request arrived (`performance.now()`, ms). */
  at: number;
  /** The request body as sent (still gzipped when it was), complete once `bodyDone` is set. */
  body: Buffer;
  bodyDone: boolean;
}

/**
 * A pass-through HTTP proxy in front of a real server, so tests can take one route away (the
 * stream answering 404, as a server without streaming would) and see what the SDK sent. It
 * does not mock the server: every other request reaches it unchanged.
 */
export class TestProxy {
  readonly requests: SeenRequest[] = [];
  /** Answer `/v1/stream` with 404. */
  blockStream = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly target: () => string,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: () => string): Promise<TestProxy> {
    let proxy: TestProxy | undefined;
    const server = createServer((incoming, outgoing) => proxy?.forward(incoming, outgoing));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    proxy = new TestProxy(server, `http://127.0.0.1:${address.port}`, target);
    return proxy;
  }

  /** Requests seen on paths starting with `prefix`. */
  seen(prefix: string): SeenRequest[] {
    return this.requests.filter((seen) => seen.path.startsWith(prefix));
  }

  /** Ends open connections (streams included) without closing the proxy. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(
    incoming: import('node:http').IncomingMessage,
    outgoing: import('node:http').ServerResponse,
  ) {
    const seen: SeenRequest = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: incoming.headers,
      status: null,
      at: performance.now(),
      body: Buffer.alloc(0),
      bodyDone: false,
    };
    this.requests.push(seen);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      seen.body = Buffer.concat(chunks);
      seen.bodyDone = true;
    });
    if (this.blockStream && seen.path.startsWith('/v1/stream')) {
      seen.status = 404;
      outgoing.writeHead(404, { 'content-type': 'application/json' });
      outgoing.end('{"error":{"code":"not_found","message":"no stream here"}}');
      incoming.resume();
      return;
    }
    const upstream = request(
      `${this.target()}${seen.path}`,
      { method: seen.method, headers: incoming.headers, agent: false },
      (response) => {
        seen.status = response.statusCode ?? 0;
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
        response.on('error', () => outgoing.destroy());
      },
    );
    upstream.on('error', () => {
      seen.status = 502;
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.destroy();
    });
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  }
}
