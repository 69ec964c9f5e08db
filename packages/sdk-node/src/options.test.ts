import { describe, expect, it } from 'vitest';
import { apiBaseOf, resolveOptions } from './options.js';

describe('options', () => {
  it('accepts the server URL with or without /v1', () => {
    expect(apiBaseOf('http://localhost:8080')).toBe('http://localhost:8080/v1');
    expect(apiBaseOf('http://localhost:8080/')).toBe('http://localhost:8080/v1');
    expect(apiBaseOf('https://flags.example.com/v1/')).toBe('https://flags.example.com/v1');
    expect(apiBaseOf('https://example.com/switchyard')).toBe('https://example.com/switchyard/v1');
    expect(apiBaseOf('ftp://x')).toBeNull();
    expect(apiBaseOf(42)).toBeNull();
  });

  it('replaces unusable values with defaults', () => {
    const options = resolveOptions({
      serverKey: ' secret-x ',
      pollIntervalMs: -1,
      eventBatchSize: 5000,
      reconnectDelayMs: { minMs: 100, maxMs: 10 },
    });
    expect(options).toMatchObject({
      serverKey: 'secret-x',
      pollIntervalMs: 10_000,
      eventBatchSize: 1000,
      reconnectDelayMs: { minMs: 100, maxMs: 100 },
      streaming: true,
    });
    expect(resolveOptions(null).serverKey).toBe('');
  });
});
