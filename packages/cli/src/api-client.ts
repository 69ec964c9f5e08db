import type { Connection } from './connection.js';
import { CliError } from './errors.js';

/** The server's stable error body: `{ error: { code, message, details } }`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** An answer of the authoring API that is not a success, with a hint for the fix. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
    hint?: string,
  ) {
    super(message, hint);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body (an upload); sent as is with `contentType`. */
  upload?: AsyncIterable<Uint8Array>;
  contentType?: string;
  /** The version read: the server refuses the write with 409 if the object changed since. */
  ifMatch?: number;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

/** Node's fetch wraps network failures in a TypeError whose cause carries the system error code. */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  const nested = cause?.errors?.find((inner) => typeof inner.code === 'string');
  return nested ? String(nested.code) : undefined;
}

/**
 * The authoring API (`/api/v1`) with a console key. Every failure becomes a CliError that says
 * what happened and how to fix it: no key, a refused key, a read-only key, an environment that
 * needs a change request, a version conflict, a server that is not running.
 */
export class ApiClient {
  constructor(readonly connection: Connection) {}

  get url(): string {
    return this.connection.url;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query }).then((response) => response.data);
  }

  async send<T>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, options: RequestOptions = {}) {
    return (await this.request<T>(method, path, options)).data;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const { key, keySource, configPath } = this.connection;
    if (!key) {
      throw new CliError(
        'no console key: the authoring API needs one',
        `pass --key console-..., set SWITCHYARD_KEY, or put {"key": "console-..."} in ${configPath} (the server prints a console key at its first start)`,
      );
    }
    const url = new URL(`${this.url}/api/v1${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    let body: RequestInit['body'];
    if (options.upload) {
      headers['content-type'] = options.contentType ?? 'text/plain';
      // Node's fetch streams an async iterable body (with duplex: 'half'); DOM types don't say so.
      body = options.upload as unknown as RequestInit['body'];
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await this.fetch(url, {
      method,
      headers,
      body,
      ...(options.upload && { duplex: 'half' }),
    } as RequestInit);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === undefined) {
        throw new CliError(
          `${method} ${url.pathname} answered ${response.status} with something other than JSON`,
          `is ${this.url} a Switchyard server? Give its base URL, e.g. ${'http://127.0.0.1:8080'}`,
        );
      }
      return { status: response.status, data: parsed as T };
    }
    const error = (parsed as { error?: Partial<ApiErrorBody> } | undefined)?.error;
    if (!error || typeof error.code !== 'string') {
      throw new CliError(
        `${method} ${url.pathname} failed with HTTP ${response.status} and no Switchyard error body`,
        `is ${this.url} the Switchyard server's base URL (without /api/v1)?`,
      );
    }
    const details = error.details ?? {};
    throw new ApiError(
      response.status,
      error.code,
      String(error.message ?? error.code),
      details,
      hintFor(response.status, error.code, details, {
        url: this.url,
        keySource,
        path,
        message: String(error.message ?? ''),
      }),
    );
  }

  /** A file the server serves outside the authoring API (an ID list's entries), as text. */
  async fetchText(path: string): Promise<string> {
    const response = await this.fetch(new URL(`${this.url}${path}`), { method: 'GET' });
    if (!response.ok) throw new CliError(`GET ${path} failed with HTTP ${response.status}`);
    return response.text();
  }

  private async fetch(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      const code = networkCode(error);
      const cause = (error as { cause?: { message?: unknown } }).cause?.message;
      const reason = code
        ? ` (${code})`
        : `: ${typeof cause === 'string' ? cause : (error as Error).message}`;
      throw new CliError(
        `cannot reach the Switchyard server at ${this.url}${reason}`,
        code === 'ENOTFOUND'
          ? 'check the host name in --url / SWITCHYARD_URL'
          : 'is the server running there? Start one with `switchyard start`, or point --url / SWITCHYARD_URL at it',
      );
    }
  }
}

/** The fix for an error code, when there is one to suggest. */
export function hintFor(
  status: number,
  code: string,
  details: Record<string, unknown>,
  context: { url: string; keySource: string | undefined; path?: string; message?: string },
): string | undefined {
  if (status === 401) {
    return `the server does not know the console key from ${context.keySource ?? 'nowhere'} (or it was revoked): pass another with --key or SWITCHYARD_KEY`;
  }
  switch (code) {
    case 'insufficient_role':
      return 'this console key is read-only: use one with write access (`switchyard keys create --kind console --env production`, with a write key)';
    case 'approval_required': {
      const environments = Array.isArray(details.environments)
        ? details.environments.join(', ')
        : 'this environment';
      return `${environments} needs a change request: POST ${context.url}/api/v1/change-requests with {"kind", "name", "operation", "body"}, then a second person approves it in the console`;
    }
    case 'environment_protected':
      return `ask someone with the ${String(details.needed ?? 'needed')} role, or send a change request (POST ${context.url}/api/v1/change-requests)`;
    case 'forbidden':
      return 'use a console key (console-...); server and client keys are for SDKs';
    case 'version_conflict':
      return 'someone changed it since it was read: run the command again (it reads the current version first)';
    case 'rate_limited':
    case 'overloaded':
      return `wait ${String(details.retryAfterSeconds ?? 'a few')} seconds and try again`;
  }
  if (status === 404 && code === 'not_found') {
    const listable = /^\/(gates|keys|experiments)\//.exec(context.path ?? '')?.[1];
    if (listable) return `see \`switchyard ${listable} list\``;
  }
  if (status >= 500) return 'the server failed: its log has the details';
  // Schema errors name their field in the message already; domain errors only in the details.
  if (typeof details.field === 'string' && status === 400 && !context.message?.includes(details.field)) {
    return `the field at fault: ${details.field}`;
  }
  return undefined;
}
