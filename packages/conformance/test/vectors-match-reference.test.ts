/**
 * The checked-in vectors must be exactly what the reference (statsig-node 6.5.2) computes from
 * their inputs today, so an edited vector or input cannot drift from the reference unnoticed.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadVectorFiles } from '@switchyard/conformance';
import { describe, expect, it } from 'vitest';

const generator = fileURLToPath(new URL('../scripts/generate-expected.ts', import.meta.url));

describe('conformance vectors', () => {
  it('equal what statsig-node computes from their inputs', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', generator, '--check'], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(output).not.toMatch(/out of date/i);
  });

  it('are numbered, versioned and carry unique case ids', () => {
    const files = loadVectorFiles();
    expect(files.map((file) => file.name.slice(0, 2))).toEqual(
      files.map((_, i) => String(i + 1).padStart(2, '0')),
    );
    for (const file of files) {
      const ids = [...(file.cases ?? []), ...(file.hashCases ?? [])].map((c) => c.id);
      expect(new Set(ids).size, file.name).toBe(ids.length);
      expect(ids.length, file.name).toBeGreaterThan(10);
    }
  });
});
