import { vi } from 'vitest';

export interface Call {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  /** The query string's parameters. */
  query: Record<string, string>;
}

type Responder = (call: Call) => { status?: number; body?: unknown } | undefined;

/**
 * A stand-in for the server at the HTTP boundary: `fetch` answers from `routes` (method and
 * path), records every call, and says 404 for anything else.
 */
export function fakeApi(routes: Record<string, Responder | { status?: number; body?: unknown }>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: string | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const call: Call = {
      method,
      path,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
      query: Object.fromEntries(url.searchParams),
    };
    calls.push(call);
    const route = routes[`${method} ${path}`];
    const answer = typeof route === 'function' ? route(call) : route;
    const status = answer?.status ?? (answer ? 200 : 404);
    const body = answer
      ? answer.body
      : { error: { code: 'not_found', message: `no route ${method} ${path}` } };
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, writes: () => calls.filter((call) => call.method !== 'GET') };
}
