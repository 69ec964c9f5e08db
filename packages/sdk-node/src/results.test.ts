import { describe, expect, it } from 'vitest';
import { DynamicConfig, type EvaluationDetails, freezeDeep, Layer } from './results.js';

const details: EvaluationDetails = {
  reason: 'Network',
  configSyncTime: 0,
  initTime: 0,
  serverTime: 0,
  revision: 1,
};
const value = { count: 3, name: 'x', list: [1], nested: { a: 1 }, nothing: null };

describe('typed get', () => {
  const config = new DynamicConfig({
    name: 'c',
    value: structuredClone(value),
    ruleID: 'r',
    groupName: null,
    idType: 'userID',
    rulePassed: true,
    isExperimentGroup: false,
    evaluationDetails: details,
    secondaryExposures: [],
  });

  it("returns the stored value when it has the default's type, else the default", () => {
    expect(config.get('count', 0)).toBe(3);
    expect(config.get('count', 'text')).toBe('text');
    expect(config.get('list', [] as number[])).toEqual([1]);
    expect(config.get('list', {})).toEqual({});
    expect(config.get('nested', [] as unknown[])).toEqual([]);
    expect(config.get('nothing', 5)).toBe(5);
    expect(config.get('missing', null)).toBeNull();
    expect(config.get('name', null)).toBe('x');
    expect(config.get('count', 0, (v): v is number => typeof v === 'number' && v > 5)).toBe(0);
    expect(config.get('toString', 'own keys only')).toBe('own keys only');
  });

  it('hands out read-only values', () => {
    expect(() => {
      (config.value as Record<string, unknown>).count = 4;
    }).toThrow(TypeError);
    expect(Object.isFrozen(config.value.nested as object)).toBe(true);
    expect(freezeDeep(5)).toBe(5);
  });

  it('reports a layer parameter read only when its value is returned', () => {
    const reads: string[] = [];
    const layer = new Layer(
      {
        name: 'l',
        value: structuredClone(value),
        ruleID: 'r',
        groupName: null,
        idType: 'userID',
        rulePassed: true,
        allocatedExperimentName: null,
        explicitParameters: null,
        evaluationDetails: details,
        secondaryExposures: [],
        undelegatedSecondaryExposures: [],
      },
      (_, parameter) => reads.push(parameter),
    );
    layer.get('count', 0);
    layer.get('count', 'wrong type');
    layer.get('missing', 1);
    expect(reads).toEqual(['count']);
  });
});
