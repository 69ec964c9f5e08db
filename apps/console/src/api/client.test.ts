import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, normaliseFieldPath } from './client.js';

afterEach(() => vi.unstubAllGlobals());

describe('ApiError.fieldErrors', () => {
  it('maps schema issues (body.<path>) and domain fields (<path>) to body paths', () => {
    const schema = new ApiError(400, {
      code: 'invalid_request',
      message: 'body.rules.0.conditions.0.value: any takes a list',
      details: {
        field: 'body.rules.0.conditions.0.value',
        issues: [
          { field: 'body.rules.0.conditions.0.value', message: 'any takes a list' },
          { field: 'body.rules.1.name', message: 'required' },
        ],
      },
    });
    expect([...schema.fieldErrors]).toEqual([
      ['rules.0.conditions.0.value', 'any takes a list'],
      ['rules.1.name', 'required'],
    ]);
    const domain = new ApiError(400, {
      code: 'invalid_weights',
      message: 'weights have at most one decimal',
      details: { field: 'groups.1.weight' },
    });
    expect([...domain.fieldErrors]).toEqual([['groups.1.weight', 'weights have at most one decimal']]);
  });

  it('strips the field from a schema message shown next to the field', () => {
    const error = new ApiError(400, {
      code: 'invalid_request',
      message: 'body.name: lower-case letters',
      details: { field: 'body.name' },
    });
    expect(error.fieldErrors.get('name')).toBe('lower-case letters');
  });

  it('keeps query fields as they are', () => {
    expect(normaliseFieldPath('querystring.environment')).toBe('querystring.environment');
  });
});

describe('ApiClient', () => {
  it('sends the key, If-Match and JSON, and turns error bodies into ApiErrors', async () => {
    const fetchMock = vi.fn(
      async () =>
        new Response(JSON.stringify({ error: { code: 'version_conflict', message: 'at version 5' } }), {
          status: 409,
        }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const api = new ApiClient('console-abc');
    const error = await api.patch('/gates/g', { enabled: false }, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).code).toBe('version_conflict');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/gates/g');
    expect(init.headers).toEqual({
      authorization: 'Bearer console-abc',
      'content-type': 'application/json',
      'if-match': '"4"',
    });
  });

  it('signs out on 401 through its listener', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'revoked' } }), {
            status: 401,
          }),
      ),
    );
    const api = new ApiClient('console-old');
    const listener = vi.fn();
    api.onUnauthorized(listener);
    await expect(api.get('/gates')).rejects.toBeInstanceOf(ApiError);
    expect(listener).toHaveBeenCalledWith(expect.objectContaining({ code: 'unauthorized' }));
  });

  it('names a network failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('fetch failed'))),
    );
    const error = (await new ApiClient('k').get('/gates').catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('network_error');
  });
});

describe('ApiClient credentials', () => {
  const ok = () => vi.fn(async () => new Response('{}', { status: 200 }));
  const initOf = (fetchMock: ReturnType<typeof ok>, index = 0) =>
    (fetchMock.mock.calls[index] as unknown as [string, RequestInit])[1];

  it('with a session, sends the cookie (same origin) and the CSRF token on changes only', async () => {
    const fetchMock = ok();
    vi.stubGlobal('fetch', fetchMock);
    const api = new ApiClient({ type: 'session', csrfToken: 'csrf-123', csrfHeader: 'x-csrf-token' });
    await api.get('/gates');
    await api.post('/gates', { name: 'g' });
    await api.patch('/gates/g', { enabled: false }, 2);
    await api.delete('/scheduled-changes/1');
    await api.request('/environments/production/policy', { method: 'PUT', body: {} });
    const inits = fetchMock.mock.calls.map((_, index) => initOf(fetchMock, index));
    expect(inits.map((init) => init.credentials)).toEqual(Array(5).fill('same-origin'));
    expect(inits[0]?.headers).toEqual({});
    for (const init of inits.slice(1)) {
      expect(init.headers).toMatchObject({ 'x-csrf-token': 'csrf-123' });
      expect(init.headers).not.toHaveProperty('authorization');
    }
  });

  it('with a key, sends the bearer header and no cookie', async () => {
    const fetchMock = ok();
    vi.stubGlobal('fetch', fetchMock);
    await new ApiClient({ type: 'key', key: 'console-abc' }).post('/gates', {});
    expect(initOf(fetchMock).credentials).toBe('omit');
    expect(initOf(fetchMock).headers).toEqual({
      authorization: 'Bearer console-abc',
      'content-type': 'application/json',
    });
  });

  it('signed out (sign-in itself), sends neither a key nor a CSRF token', async () => {
    const fetchMock = ok();
    vi.stubGlobal('fetch', fetchMock);
    await new ApiClient().post('/auth/login', { email: 'a@b.co', password: 'x' });
    expect(initOf(fetchMock).headers).toEqual({ 'content-type': 'application/json' });
    expect(initOf(fetchMock).credentials).toBe('same-origin');
  });

  it('sends the CSRF token with an upload (XMLHttpRequest) too', async () => {
    const sent: Record<string, string> = {};
    class FakeXhr {
      status = 200;
      statusText = 'OK';
      responseText = '{"ok":true}';
      upload: { onprogress?: unknown } = {};
      onload?: () => void;
      open(method: string, url: string) {
        sent.method = method;
        sent.url = url;
      }
      setRequestHeader(name: string, value: string) {
        sent[name] = value;
      }
      getResponseHeader() {
        return null;
      }
      send() {
        this.onload?.();
      }
      abort() {}
    }
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    const api = new ApiClient({ type: 'session', csrfToken: 'csrf-upload' });
    await api.upload('/id_lists/l/file', new Blob(['a\n']), { contentType: 'text/plain' }).promise;
    expect(sent).toMatchObject({
      method: 'PUT',
      'x-csrf-token': 'csrf-upload',
      'content-type': 'text/plain',
    });
    expect(sent).not.toHaveProperty('authorization');
  });

  it('signs out on session_expired and unauthorized, not on a wrong current password', async () => {
    let code = 'invalid_credentials';
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ error: { code, message: 'no' } }), { status: 401 })),
    );
    const api = new ApiClient({ type: 'session', csrfToken: 't' });
    const listener = vi.fn();
    api.onUnauthorized(listener);
    await expect(api.post('/auth/password', { current: 'x', next: 'y' })).rejects.toBeInstanceOf(ApiError);
    expect(listener).not.toHaveBeenCalled();
    code = 'session_expired';
    await expect(api.get('/gates')).rejects.toBeInstanceOf(ApiError);
    expect(listener).toHaveBeenCalledWith(expect.objectContaining({ code: 'session_expired' }));
  });

  it('reads how long to wait from Retry-After on a 429', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ error: { code: 'too_many_attempts', message: 'wait' } }), {
            status: 429,
            headers: { 'retry-after': '840' },
          }),
      ),
    );
    const error = (await new ApiClient()
      .post('/auth/login', { email: 'a@b.co', password: 'x' })
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(840);
  });
});
