// The fast suite: unit tests and end-to-end tests of the built CLI against the
// simulator. The real-OpenStack tier has its own config (vitest.openstack.config.ts).
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/openstack/**', 'test/package/**', 'dist/**', 'node_modules/**'],
    // Most files wait on child processes, sockets and timers (console attach's quiet periods),
    // not on the CPU: two workers per core (on 2 cores: 59 s with 2 workers, 36 s with 4).
    maxWorkers: 2 * Math.max(2, availableParallelism()),
    // Threads start faster than forks, and without isolation each worker imports src/ and the
    // simulator once instead of once per file. Safe here: no test mocks modules or changes
    // process-wide state (main() takes everything from its deps).
    pool: 'threads',
    isolate: false,
    // Strict simulator: unknown routes and unfired fault rules fail the test.
    setupFiles: ['test/helpers/strict-sim.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
