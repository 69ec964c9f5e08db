/**
 * The OpenFeature web provider with @openfeature/web-sdk against a real in-process server.
 * Each test uses its own OpenFeature domain.
 */
import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardClient } from '../src/index.js';
import { contextToUser, SwitchyardWebProvider } from '../src/openfeature.js';
import { installBrowserGlobals } from './support/browser-globals.js';
import { CLIENT_KEY, startTestServer, type TestServer } from './support/switchyard-server.js';

let server: TestServer;

beforeAll(async () => {
  installBrowserGlobals();
  server = await startTestServer();
  await server.authoring('POST', '/gates', {
    name: 'everyone',
    rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
  });
  await server.authoring('POST', '/gates', {
    name: 'staff_only',
    rules: [
      {
        name: 'staff',
        conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
      },
    ],
  });
  await server.authoring('POST', '/configs', {
    name: 'copy',
    defaultValue: { headline: 'Hello', size: 3, nested: { a: 1 }, tags: ['x'] },
  });
});

afterAll(async () => {
  await OpenFeature.close();
  await server.close();
});

function provider(options: { api?: string; stream?: boolean } = {}): SwitchyardWebProvider {
  return new SwitchyardWebProvider(
    new SwitchyardClient(CLIENT_KEY, { api: server.api, stream: false, onError: () => {}, ...options }),
  );
}

describe('SwitchyardWebProvider', () => {
  it('resolves booleans from gates and other types from config parameters', async () => {
    await OpenFeature.setProviderAndWait('values', provider(), { targetingKey: 'u1' });
    const client = OpenFeature.getClient('values');

    expect(client.getBooleanDetails('everyone', false)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'true',
    });
    expect(client.getStringValue('copy.headline', 'x')).toBe('Hello');
    expect(client.getNumberValue('copy.size', 0)).toBe(3);
    expect(client.getObjectValue('copy.nested', {})).toEqual({ a: 1 });
    expect(client.getObjectValue('copy.tags', [])).toEqual(['x']);
    expect(client.getObjectValue('copy', {})).toEqual({
      headline: 'Hello',
      size: 3,
      nested: { a: 1 },
      tags: ['x'],
    });
  });

  it('returns the default with an error code for unknown flags and type mismatches', async () => {
    await OpenFeature.setProviderAndWait('errors', provider(), { targetingKey: 'u1' });
    const client = OpenFeature.getClient('errors');
    expect(client.getBooleanDetails('no_such_gate', true)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(client.getStringDetails('copy.missing', 'd')).toMatchObject({
      value: 'd',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(client.getStringDetails('nope.headline', 'd').errorCode).toBe(ErrorCode.FLAG_NOT_FOUND);
    expect(client.getStringDetails('copy', 'd').errorCode).toBe(ErrorCode.FLAG_NOT_FOUND);
    expect(client.getNumberDetails('copy.headline', 0)).toMatchObject({
      value: 0,
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(client.getObjectDetails('copy.tags', {}).errorCode).toBe(ErrorCode.TYPE_MISMATCH);
  });

  it('turns context changes into updateUser', async () => {
    await OpenFeature.setProviderAndWait('context', provider(), {
      targetingKey: 'u1',
      email: 'u1@example.com',
    });
    const client = OpenFeature.getClient('context');
    expect(client.getBooleanValue('staff_only', true)).toBe(false);
    await OpenFeature.setContext('context', { targetingKey: 'sam', email: 'sam@company.com' });
    expect(client.getBooleanValue('staff_only', false)).toBe(true);
  });

  it('emits ConfigurationChanged when the server changes a value', async () => {
    await OpenFeature.setProviderAndWait('live', provider({ stream: true }), { targetingKey: 'live-user' });
    const client = OpenFeature.getClient('live');
    expect(client.getBooleanValue('everyone', false)).toBe(true);
    const changed = new Promise<void>((resolve) =>
      client.addHandler(ProviderEvents.ConfigurationChanged, () => resolve()),
    );
    await server.authoring('POST', '/gates/everyone/disable');
    try {
      await changed;
      expect(client.getBooleanValue('everyone', true)).toBe(false);
    } finally {
      await server.authoring('POST', '/gates/everyone/enable');
    }
  });

  it('sends tracking events as custom events', async () => {
    const tracked = provider();
    await OpenFeature.setProviderAndWait('track', tracked, { targetingKey: 'tracker' });
    OpenFeature.getClient('track').track('purchase', { value: 42, sku: 'A1', qty: 2 });
    await tracked.client.flush();
    const purchase = (await server.events()).find((event) => event.eventName === 'purchase');
    expect(purchase).toMatchObject({ userID: 'tracker', value: '42', metadata: { sku: 'A1', qty: '2' } });
  });

  it('fails initialization without values, and resolves to defaults then', async () => {
    await expect(
      OpenFeature.setProviderAndWait('down', provider({ api: 'http://127.0.0.1:9/v1' }), {
        targetingKey: 'nobody',
      }),
    ).rejects.toThrow(/no values/);
    const client = OpenFeature.getClient('down');
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(client.getBooleanValue('everyone', true)).toBe(true);
  });
});

describe('contextToUser', () => {
  it('maps targetingKey to userID, keeps user fields and puts the rest in custom', () => {
    expect(
      contextToUser({
        targetingKey: 'alice',
        email: 'a@example.com',
        country: 'NZ',
        customIDs: { companyID: 'acme' },
        plan: 'pro',
        custom: { age: 30 },
      }),
    ).toEqual({
      userID: 'alice',
      email: 'a@example.com',
      country: 'NZ',
      customIDs: { companyID: 'acme' },
      custom: { age: 30, plan: 'pro' },
    });
    expect(contextToUser()).toEqual({});
  });
});
