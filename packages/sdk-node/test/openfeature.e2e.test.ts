/**
 * The OpenFeature server provider through @openfeature/server-sdk's client: key conventions,
 * value types, reasons and error codes on a bootstrap configuration, then ConfigurationChanged
 * events and fresh values from a live server.
 */
import { ErrorCode, OpenFeature, ProviderEvents, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { ConfigSpecs } from '@switchyard/core';
import { Switchyard } from '@switchyard/node';
import { SwitchyardProvider, userFromContext } from '@switchyard/node/openfeature';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, TestServer, waitFor } from './support/test-server.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const publicCondition = { type: 'public', operator: null, targetValue: null, field: null, idType: 'userID' };
const rule = (id: string, returnValue: unknown, conditions: unknown[] = [publicCondition], extra = {}) => ({
  id,
  salt: id,
  passPercentage: 100,
  conditions,
  returnValue,
  idType: 'userID',
  ...extra,
});
const spec = (name: string, rules: unknown[], defaultValue: unknown, extra = {}) => ({
  name,
  salt: `${name}-salt`,
  enabled: true,
  defaultValue,
  idType: 'userID',
  rules,
  ...extra,
});

const BOOTSTRAP = {
  time: 1_700_000_000_000,
  feature_gates: [
    spec('on_gate', [rule('on_rule', true)], false),
    spec('off_gate', [rule('on_rule', true)], false, { enabled: false }),
    spec(
      'nobody_gate',
      [
        rule('german', true, [
          { ...publicCondition, type: 'user_field', field: 'country', operator: 'any', targetValue: ['DE'] },
        ]),
      ],
      false,
    ),
    spec(
      'weird_gate',
      [rule('weird', true, [{ type: 'future_condition', operator: 'eq', targetValue: 1 }])],
      false,
    ),
  ],
  dynamic_configs: [
    spec(
      'checkout',
      [
        rule('pro_rule', { max_items: 50, color: 'gold', limits: { daily: 3 }, beta: true }, [
          { ...publicCondition, type: 'user_field', field: 'plan', operator: 'any', targetValue: ['pro'] },
        ]),
      ],
      { max_items: 10, color: 'blue', limits: { daily: 1 }, beta: false },
    ),
    spec('app.v2.settings', [rule('all', { theme: 'dark' })], {}),
    spec(
      'button_exp',
      [
        rule('test_group', { label: 'Buy now' }, [publicCondition], {
          groupName: 'Test',
          isExperimentGroup: true,
        }),
      ],
      { label: 'Buy' },
    ),
  ],
  layer_configs: [
    spec('checkout_layer', [rule('layer_rule', { headline: 'Welcome' })], { headline: 'Hello' }),
  ],
};

describe('OpenFeature provider on a bootstrap configuration', () => {
  let sdk: Switchyard;
  const client = () => OpenFeature.getClient('bootstrap');
  const ctx = { targetingKey: 'u-1' };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    sdk = await Switchyard.init({
      serverKey: 'secret-of',
      localMode: true,
      bootstrap: BOOTSTRAP as unknown as ConfigSpecs,
    });
    await OpenFeature.setProviderAndWait('bootstrap', new SwitchyardProvider(sdk));
  });

  afterAll(async () => {
    await OpenFeature.clearProviders();
    await sdk.shutdown();
  });

  it('maps the evaluation context to a Statsig user', () => {
    expect(
      userFromContext({
        targetingKey: 'u-1',
        email: 'a@b.c',
        country: 'DE',
        plan: 'pro',
        signedUp: new Date(1_700_000_000_000),
        customIDs: { companyID: 'acme' },
        custom: { level: 3 },
      }),
    ).toEqual({
      userID: 'u-1',
      email: 'a@b.c',
      country: 'DE',
      customIDs: { companyID: 'acme' },
      custom: { level: 3, plan: 'pro', signedUp: 1_700_000_000_000 },
    });
  });

  it('resolves boolean flags as gates, with reasons', async () => {
    expect(await client().getBooleanDetails('on_gate', false, ctx)).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.TARGETING_MATCH,
      variant: 'true',
      flagMetadata: { ruleID: 'on_rule', source: 'Bootstrap' },
    });
    expect(await client().getBooleanDetails('off_gate', true, ctx)).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DISABLED,
    });
    expect(await client().getBooleanDetails('nobody_gate', true, ctx)).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DEFAULT,
    });
    expect(await client().getBooleanDetails('missing_gate', true, ctx)).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(await client().getBooleanDetails('weird_gate', true, ctx)).toMatchObject({
      value: true,
      errorCode: ErrorCode.GENERAL,
    });
    expect(await client().getBooleanDetails('on_gate', false, {})).toMatchObject({
      value: false,
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
    });
    // A boolean that is not a gate reads a config parameter.
    expect(await client().getBooleanValue('checkout.beta', false, { ...ctx, plan: 'pro' })).toBe(true);
  });

  it('resolves string, number and object flags as config parameters', async () => {
    const pro = { ...ctx, plan: 'pro' };
    expect(await client().getNumberDetails('checkout.max_items', 0, pro)).toMatchObject({
      value: 50,
      reason: StandardResolutionReasons.TARGETING_MATCH,
      variant: 'pro_rule',
    });
    expect(await client().getNumberDetails('checkout.max_items', 0, ctx)).toMatchObject({
      value: 10,
      reason: StandardResolutionReasons.DEFAULT,
    });
    expect(await client().getStringValue('checkout.color', 'none', pro)).toBe('gold');
    expect(await client().getObjectValue('checkout.limits', {}, pro)).toEqual({ daily: 3 });
    expect(await client().getObjectValue('checkout', {}, ctx)).toEqual({
      max_items: 10,
      color: 'blue',
      limits: { daily: 1 },
      beta: false,
    });
    // Config names may contain dots: the longest defined name wins.
    expect(await client().getStringValue('app.v2.settings.theme', 'light', ctx)).toBe('dark');
    expect(await client().getStringDetails('button_exp.label', '', ctx)).toMatchObject({
      value: 'Buy now',
      reason: StandardResolutionReasons.SPLIT,
      variant: 'Test',
      flagMetadata: { groupName: 'Test' },
    });
    expect(await client().getStringDetails('layer:checkout_layer.headline', '', ctx)).toMatchObject({
      value: 'Welcome',
      reason: StandardResolutionReasons.TARGETING_MATCH,
    });
  });

  it('reports type mismatches, unknown keys and missing parameters', async () => {
    expect(await client().getStringDetails('checkout.max_items', 'x', ctx)).toMatchObject({
      value: 'x',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(await client().getNumberDetails('nothing.here', 7, ctx)).toMatchObject({
      value: 7,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(await client().getNumberDetails('checkout.no_such_param', 7, ctx)).toMatchObject({
      value: 7,
      reason: StandardResolutionReasons.DEFAULT,
    });
    expect((await client().getNumberDetails('checkout.max_items', 7, ctx)).errorCode).toBeUndefined();
  });

  it('resolves local overrides as STATIC', async () => {
    sdk.overrideGate('off_gate', true, 'u-1');
    expect(await client().getBooleanDetails('off_gate', false, ctx)).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.STATIC,
    });
    sdk.clearOverrides();
  });
});

describe('OpenFeature provider on a live server', () => {
  let server: TestServer;
  let provider: SwitchyardProvider;

  beforeAll(async () => {
    server = await TestServer.start();
    await server.api('POST', '/gates', {
      name: 'live_gate',
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
    provider = new SwitchyardProvider({ serverKey: KEYS.server, url: server.url });
    await OpenFeature.setProviderAndWait('live', provider);
  });

  afterAll(async () => {
    await OpenFeature.clearProviders();
    await server.remove();
    process.off('unhandledRejection', onUnhandled);
  });

  it('emits ConfigurationChanged with the changed flags and serves the new values', async () => {
    const client = OpenFeature.getClient('live');
    expect(await client.getBooleanValue('live_gate', false, { targetingKey: 'u' })).toBe(true);
    const changed: string[][] = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) =>
      changed.push(details?.flagsChanged ?? []),
    );
    await server.api('POST', '/gates/live_gate/disable');
    await waitFor(
      'the change event',
      () => changed.length,
      (count) => count > 0,
    );
    expect(changed[0]).toEqual(['live_gate']);
    expect(await client.getBooleanDetails('live_gate', true, { targetingKey: 'u' })).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DISABLED,
      flagMetadata: { source: 'Network' },
    });
  });

  it('shuts the SDK it started down on close', async () => {
    const sdk = provider.client;
    await OpenFeature.clearProviders();
    expect(sdk?.stats().mode).toBe('closed');
    expect(unhandled).toEqual([]);
  });
});
