// The real-OpenStack tier, two clouds, one vitest project each:
//  - zed:   Keystone 22 + Nova 26 (Zed, compute API up to 2.93) from Debian 12 packages on
//           127.0.0.1:15000-15999, installed/started/stopped by test/openstack/global-setup.ts
//           with the scripts in test/realcloud/;
//  - epoxy: Keystone 27 + Nova 31 (2025.1 Epoxy, up to 2.100: spice-direct) from Debian 13
//           packages in a trixie chroot (/srv/osconsole-epoxy) on 127.0.0.1:16000-16999,
//           by test/openstack/global-setup-epoxy.ts with the scripts in test/realcloud-epoxy/.
// Each is skipped with "skipped: <reason>" where it cannot run (not root, not Debian 12, no
// debootstrap); with CI set that is a failure instead. `npm run test:openstack` runs the two
// projects one after the other, so that one stack is up at a time: with both up, Zed's
// sqlite-backed Nova met "database is locked" under the extra load (a 500 on a console POST).
// OSCONSOLE_REALCLOUD_KEEP=1 leaves the services up; OSCONSOLE_RECORD_FIXTURES=1 rewrites
// test/fixtures/real/ (Zed) and test/fixtures/real/epoxy/ (Epoxy).
// One tier alone: npm run build && npx vitest run --config test/vitest.openstack.config.ts --project zed (or epoxy).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    exclude: ['dist/**', 'node_modules/**'],
    // one stack per tier, shared: run the files one after another (requests are cheap;
    // the services are single-worker)
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'zed',
          include: ['test/openstack/*.test.ts'],
          globalSetup: ['test/openstack/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'epoxy',
          include: ['test/openstack/epoxy/*.test.ts'],
          globalSetup: ['test/openstack/global-setup-epoxy.ts'],
        },
      },
    ],
  },
});
