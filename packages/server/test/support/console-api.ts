/**
 * The authoring API of a listening server, with a console key: the parsed JSON of a 2xx answer,
 * or an error naming the call and the server's answer.
 */
export function consoleApi(baseUrl: () => string, consoleKey: string) {
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answers loosely
  return async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${baseUrl()}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${consoleKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };
}
