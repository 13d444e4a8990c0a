/**
 * The built CLI against one of the tier's clouds, as its CLI test files run it:
 * a fresh TestEnv (config dir, home) per test, the cloud's clouds.yaml, a
 * minute per run (real Nova RPCs are slow), and the OS_* an openrc sets.
 * Call it inside describeReal().
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { TestEnv } from '../helpers/env.js';
import type { RealcloudFacts } from './context.js';

export type CliUser = 'demo' | 'admin' | 'reader';

export function cliHarness(f: RealcloudFacts) {
  let t: TestEnv;
  beforeEach(() => {
    t = new TestEnv();
  });
  afterEach(() => t.dispose());
  const clouds = { OS_CLIENT_CONFIG_FILE: f.clouds_yaml };
  return {
    /** This test's environment (its session cache, for instance). */
    env: (): TestEnv => t,
    run: (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> =>
      t.run(args, { ...clouds, ...extra }, { timeoutMs: 60_000 }),
    ok: (r: CliResult) => expect(r.code, r.stderr).toBe(0),
    /** A user's openrc, scoped to `project` (default: the user's own). */
    openrc: (user: CliUser, project: string = f.users[user].project) => ({
      OS_AUTH_URL: f.auth_url,
      OS_USERNAME: user,
      OS_PASSWORD: f.users[user].password,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_NAME: project,
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
    }),
  };
}
