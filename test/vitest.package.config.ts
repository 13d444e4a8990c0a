// The package tier: npm pack, a global install of the tarball, and a run of
// the installed binary against the simulator (test/package/).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/package/**/*.test.ts'],
    setupFiles: ['test/helpers/strict-sim.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
