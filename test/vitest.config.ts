// The fast suite: unit tests and end-to-end tests of the built CLI against the
// simulator. The real-OpenStack tier has its own config (vitest.openstack.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/openstack/**', 'test/package/**', 'dist/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
