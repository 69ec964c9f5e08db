import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { ERROR_CODES, SwitchyardError } from './errors.js';

const gunzip = promisify(gunzipCallback);

/** A larger answer is refused rather than buffered: a garbage server must not exhaust memory. */
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface HttpRequestOptions {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  /**
   * Background work (polls, ID-list syncs, status reports, timed flushes) never keeps the
   * process alive: its socket and timer are unref'd. Work the caller awaits (`flush()`,
   * `shutdown()`, `init`) is not.
   */
  background: boolean;
  signal?: AbortSignal;
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, gunzipped when the server sent `Content-Encoding: gzip`. */
  body: Buffer;
}

export interface OpenStream {
  status: number;
  headers: IncomingHttpHeaders;
  response: IncomingMessage;
  /** Ends the connection; idempotent. */
  close(): void;
}

function networkError(error: unknown, url: URL): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const detail = error as { code?: string; message?: string };
  const code = detail.code ? `${detail.code}: ` : '';
  return new SwitchyardError(
    ERROR_CODES.network,
    `${url.origin}${url.pathname}: ${code}${detail.message ?? String(error)}`,
    undefined,
    { cause: error },
  );
}

function abortError(url: URL): SwitchyardError {
  return new SwitchyardError(ERROR_CODES.network, `${url.origin}${url.pathname}: aborted`);
}

function parseUrl(raw: string): URL {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`unsupported protocol ${url.protocol}`);
    return url;
  } catch (error) {
    throw new SwitchyardError(ERROR_CODES.invalidArgument, `invalid URL: ${(error as Error).message}`);
  }
}

/**
 * HTTP over node:http rather than fetch, because only node:http lets the SDK unref its
 * sockets: a background poll or an idle event stream must never keep the host process alive.
 * One keep-alive agent per SDK instance, destroyed on close.
 */
export class HttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly streams = new Set<http.ClientRequest>();
  private closed = false;

  /** Sends one request and buffers the answer. Rejects only with a SwitchyardError. */
  request(options: HttpRequestOptions): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      let url: URL;
      try {
        url = parseUrl(options.url);
      } catch (error) {
        reject(error);
        return;
      }
      if (this.closed || options.signal?.aborted) {
        reject(abortError(url));
        return;
      }
      const target = url;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: unknown) => settle(() => reject(networkError(error, target)));
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(
        url,
        {
          method: options.method,
          headers: options.headers,
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        },
        (response) => {
          const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
              request.destroy(
                new SwitchyardError(ERROR_CODES.invalidResponse, `response larger than ${limit} bytes`),
              );
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', fail);
          response.on('aborted', () => fail(new Error('response aborted')));
          response.on('end', () => {
            const raw = Buffer.concat(chunks);
            const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
            const body = encoding === 'gzip' ? gunzip(raw) : Promise.resolve(raw);
            body.then(
              (decoded) =>
                settle(() =>
                  resolve({ status: response.statusCode ?? 0, headers: response.headers, body: decoded }),
                ),
              (error: unknown) =>
                settle(() =>
                  reject(
                    new SwitchyardError(
                      ERROR_CODES.invalidResponse,
                      `${target.pathname}: undecodable gzip body (${(error as Error).message})`,
                    ),
                  ),
                ),
            );
          });
        },
      );
      const onAbort = () => request.destroy(abortError(target));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', fail);
      if (options.background) request.on('socket', (socket) => socket.unref());
      const timer = setTimeout(
        () => request.destroy(networkError(new Error(`timed out after ${options.timeoutMs} ms`), target)),
        options.timeoutMs,
      );
      if (options.background) timer.unref();
      request.end(options.body);
    });
  }

  /**
   * Opens a long-lived response (server-sent events) on its own unref'd socket. Resolves with
   * the response once its headers arrive, whatever the status; the caller reads and closes it.
   */
  openStream(options: {
    url: string;
    headers: Record<string, string>;
    connectTimeoutMs: number;
  }): Promise<OpenStream> {
    return new Promise<OpenStream>((resolve, reject) => {
      let url: URL;
      try {
        url = parseUrl(options.url);
      } catch (error) {
        reject(error);
        return;
      }
      if (this.closed) {
        reject(abortError(url));
        return;
      }
      const target = url;
      let settled = false;
      const transport = url.protocol === 'https:' ? https : http;
      // Its own socket: the keep-alive pool must not lend a connection that stays busy forever.
      const request = transport.request(url, { method: 'GET', headers: options.headers, agent: false });
      const close = () => request.destroy();
      const timer = setTimeout(() => {
        request.destroy(networkError(new Error(`no response within ${options.connectTimeoutMs} ms`), target));
      }, options.connectTimeoutMs);
      timer.unref();
      request.on('socket', (socket) => socket.unref());
      request.on('error', (error) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(networkError(error, target));
      });
      request.on('response', (response) => {
        clearTimeout(timer);
        settled = true;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, response, close });
      });
      this.streams.add(request);
      request.on('close', () => this.streams.delete(request));
      request.end();
    });
  }

  /** Ends open streams and pooled connections; later requests fail at once. */
  close(): void {
    this.closed = true;
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
