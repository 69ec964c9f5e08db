import { describe, expect, it } from 'vitest';
import { bodyTooDeep, MAX_JSON_DEPTH, tooDeepAt } from './json-depth.js';

const arrays = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('tooDeepAt', () => {
  it('counts a container as a level and a scalar as none', () => {
    expect(tooDeepAt(1, 0)).toBeUndefined();
    expect(tooDeepAt(null, 0)).toBeUndefined();
    expect(tooDeepAt({}, 1)).toBeUndefined();
    expect(tooDeepAt({}, 0)).toBe('body');
    expect(tooDeepAt({ a: [1, 'x'] }, 2)).toBeUndefined();
    expect(tooDeepAt({ a: [[1]] }, 2)).toBe('body.a.0');
  });

  it('names the path to the first level too deep', () => {
    expect(tooDeepAt({ ok: [1], user: { custom: { a: {} } } }, 3, 'body')).toBe('body.user.custom.a');
    expect(tooDeepAt([0, [0, [{}]]], 3)).toBe('body.1.1.0');
  });

  it('takes 100,000 levels without exhausting the stack', () => {
    expect(tooDeepAt(arrays(100_000), MAX_JSON_DEPTH)).toBe(`body${'.0'.repeat(MAX_JSON_DEPTH)}`);
    expect(tooDeepAt(arrays(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBeUndefined();
    expect(tooDeepAt(arrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(`body${'.0'.repeat(MAX_JSON_DEPTH)}`);
  });

  it('cuts a long path short', () => {
    const field = tooDeepAt({ ['k'.repeat(500)]: [[]] }, 2);
    expect(field).toBe(`body.${'k'.repeat(195)}…`);
  });

  it('walks keys named like Object.prototype members as plain keys', () => {
    const parsed = JSON.parse('{"__proto__":{"constructor":{"prototype":[]}}}');
    expect(tooDeepAt(parsed, 3)).toBe('body.__proto__.constructor.prototype');
  });
});

describe('bodyTooDeep', () => {
  it('is a 400 body_too_deep naming the field and the limit', () => {
    const error = bodyTooDeep('body.user');
    expect(error).toMatchObject({
      code: 'body_too_deep',
      details: { field: 'body.user', limit: MAX_JSON_DEPTH },
    });
  });
});
