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
