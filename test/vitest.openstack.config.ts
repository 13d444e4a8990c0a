// The real-OpenStack tier: Keystone 22 + Nova 26 (Zed) from Debian 12 packages on
// 127.0.0.1, installed/started/stopped by test/openstack/global-setup.ts with the
// scripts in test/realcloud/. Skipped with "skipped: <reason>" where it cannot run
// (not root, not Debian 12); with CI set that is a failure instead.
// OSCONSOLE_REALCLOUD_KEEP=1 leaves the services up; OSCONSOLE_RECORD_FIXTURES=1
// rewrites test/fixtures/real/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/openstack/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/openstack/global-setup.ts'],
    // one stack, shared: run the files one after another (requests are cheap; the
    // services are single-worker)
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
