/**
 * The console's only way to the server: the authoring API under /api/v1, as a signed-in person
 * (the session cookie, plus the CSRF token on every change) or with a console key as a bearer
 * token. Every failure becomes an ApiError carrying the server's stable
 * `{ error: { code, message, details } }`, so pages can show the code and message, and put
 * the message next to the field `details.field` names.
 */

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  /** From `Retry-After` on a 429 (too many sign-ins): how long to wait before trying again. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, body: ApiErrorBody, retryAfterSeconds: number | null = null) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details ?? {};
    const fromDetails = this.details.retryAfterSeconds;
    this.retryAfterSeconds =
      retryAfterSeconds ?? (typeof fromDetails === 'number' && fromDetails >= 0 ? fromDetails : null);
  }

  /**
   * Every field the error concerns, as paths into the request body (`rules.0.conditions.0.value`)
   * with the message for each. Schema errors name `body.<path>` and may list several issues;
   * domain errors name the path alone.
   */
  get fieldErrors(): Map<string, string> {
    const fields = new Map<string, string>();
    const issues = this.details.issues;
    if (Array.isArray(issues)) {
      for (const issue of issues) {
        if (issue && typeof issue === 'object' && typeof issue.field === 'string') {
          const path = normaliseFieldPath(issue.field);
          if (!fields.has(path)) fields.set(path, String(issue.message ?? this.message));
        }
      }
    }
    if (typeof this.details.field === 'string') {
      const path = normaliseFieldPath(this.details.field);
      // The top-level message of a schema error is `<field>: <message>`; next to the field,
      // the field's name is redundant.
      if (!fields.has(path)) fields.set(path, stripFieldPrefix(this.message, this.details.field));
    }
    return fields;
  }
}

/** `body.rules.0.value` -> `rules.0.value`; query and header fields keep their part. */
export function normaliseFieldPath(field: string): string {
  return field.startsWith('body.') ? field.slice('body.'.length) : field === 'body' ? '' : field;
}

function stripFieldPrefix(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  /** The version read: the write is refused with 409 if the object changed since. */
  ifMatch?: number;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  etag: string | null;
}

export type UnauthorizedListener = (error: ApiError) => void;

/**
 * How requests prove who sends them. `session`: the httpOnly cookie the browser sends by
 * itself, and the CSRF token (kept in memory only) on every request that is not a read; `key`:
 * a console key as a bearer token (cookies left out, so the key alone decides); `none`: sign-in
 * itself.
 */
export type Credentials =
  | { type: 'session'; csrfToken: string; csrfHeader?: string }
  | { type: 'key'; key: string }
  | { type: 'none' };

export const DEFAULT_CSRF_HEADER = 'x-csrf-token';

/**
 * The 401 codes that mean "not signed in any more" (a session that ended, a revoked key). Other
 * 401s (a wrong current password, a wrong setup token) are answers to show, not a sign-out.
 */
const SIGNED_OUT_CODES = new Set(['session_expired', 'unauthorized']);

export class ApiClient {
  private unauthorized: UnauthorizedListener | undefined;
  readonly credentials: Credentials;

  /** `credentials` as a string is a console key. */
  constructor(
    credentials: Credentials | string = { type: 'none' },
    private readonly base = '/api/v1',
  ) {
    this.credentials = typeof credentials === 'string' ? { type: 'key', key: credentials } : credentials;
  }

  /** Called on a 401 that ends the sign-in (a revoked key, an expired session): the app says why. */
  onUnauthorized(listener: UnauthorizedListener | undefined): void {
    this.unauthorized = listener;
  }

  /** The headers that carry the credentials for a request with `method`. */
  authHeaders(method: string): Record<string, string> {
    const credentials = this.credentials;
    if (credentials.type === 'key') return { authorization: `Bearer ${credentials.key}` };
    if (credentials.type === 'session' && method !== 'GET' && method !== 'HEAD') {
      return { [credentials.csrfHeader ?? DEFAULT_CSRF_HEADER]: credentials.csrfToken };
    }
    return {};
  }

  private signedOut(error: ApiError): void {
    if (error.status === 401 && SIGNED_OUT_CODES.has(error.code)) this.unauthorized?.(error);
  }

  url(path: string, query?: RequestOptions['query']): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
    }
    const qs = search.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = this.authHeaders(method);
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers,
        // The session cookie goes to this origin only; a key needs no cookie (and must not be
        // mistaken for the person signed in elsewhere in this browser).
        credentials: this.credentials.type === 'key' ? 'omit' : 'same-origin',
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        ...(options.signal && { signal: options.signal }),
      });
    } catch (cause) {
      if ((cause as Error).name === 'AbortError') throw cause;
      throw new ApiError(0, {
        code: 'network_error',
        message: `the server could not be reached (${(cause as Error).message})`,
      });
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!response.ok) {
      const error = new ApiError(
        response.status,
        errorBodyOf(parsed, response),
        retryAfterOf(response.headers.get('retry-after')),
      );
      this.signedOut(error);
      throw error;
    }
    return { data: parsed as T, status: response.status, etag: response.headers.get('etag') };
  }

  async get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
    return (await this.request<T>(path, { query, ...(signal && { signal }) })).data;
  }

  async post<T>(path: string, body: unknown = {}, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return (await this.request<T>(path, { ...options, method: 'POST', body })).data;
  }

  async patch<T>(path: string, body: unknown, ifMatch?: number): Promise<T> {
    return (await this.request<T>(path, { method: 'PATCH', body, ...(ifMatch !== undefined && { ifMatch }) }))
      .data;
  }

  async delete<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return (await this.request<T>(path, { method: 'DELETE', query })).data;
  }

  /**
   * A file upload (ID lists) with progress: fetch cannot report upload progress, so this one
   * request goes through XMLHttpRequest.
   */
  upload<T>(
    path: string,
    file: Blob,
    options: {
      contentType: string;
      query?: RequestOptions['query'];
      onProgress?: (fraction: number) => void;
    },
  ): { promise: Promise<T>; abort: () => void } {
    const xhr = new XMLHttpRequest();
    const promise = new Promise<T>((resolve, reject) => {
      xhr.open('PUT', this.url(path, options.query));
      // Same-origin XHR sends the session cookie by itself; the CSRF token goes as a header.
      for (const [name, value] of Object.entries(this.authHeaders('PUT'))) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader('content-type', options.contentType);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) options.onProgress?.(event.loaded / event.total);
      };
      xhr.onload = () => {
        let parsed: unknown = null;
        try {
          parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          parsed = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          options.onProgress?.(1);
          resolve(parsed as T);
          return;
        }
        const error = new ApiError(
          xhr.status,
          errorBodyOf(parsed, { status: xhr.status, statusText: xhr.statusText }),
          retryAfterOf(xhr.getResponseHeader('retry-after')),
        );
        this.signedOut(error);
        reject(error);
      };
      xhr.onerror = () =>
        reject(new ApiError(0, { code: 'network_error', message: 'the upload could not reach the server' }));
      xhr.onabort = () => reject(new ApiError(0, { code: 'aborted', message: 'the upload was cancelled' }));
      xhr.send(file);
    });
    return { promise, abort: () => xhr.abort() };
  }
}

/** `Retry-After` in seconds (the server sends seconds, never an HTTP date). */
function retryAfterOf(header: string | null): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

function errorBodyOf(parsed: unknown, response: { status: number; statusText: string }): ApiErrorBody {
  const error = (parsed as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object' && typeof (error as ApiErrorBody).code === 'string') {
    const body = error as ApiErrorBody;
    return {
      code: body.code,
      message: String(body.message ?? ''),
      ...(body.details && { details: body.details }),
    };
  }
  return { code: `http_${response.status}`, message: response.statusText || `HTTP ${response.status}` };
}

/** Anything thrown, as an ApiError to show (programming errors too, rather than a blank page). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, {
    code: 'client_error',
    message: error instanceof Error ? error.message : String(error),
  });
}
