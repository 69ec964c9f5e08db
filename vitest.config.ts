import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under this condition, so tests run
// against src/ without a build step.
const SOURCE_CONDITION = '@switchyard/source';

export default defineConfig({
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    include: [
      'packages/*/src/**/*.test.{ts,tsx}',
      'packages/*/test/**/*.test.{ts,tsx}',
      'apps/*/src/**/*.test.{ts,tsx}',
      'apps/*/test/**/*.test.{ts,tsx}',
    ],
    pool: 'forks',
    testTimeout: 60_000,
    // The `on` date operator compares calendar days in the local timezone, as statsig-node does.
    env: { TZ: 'UTC' },
  },
});
