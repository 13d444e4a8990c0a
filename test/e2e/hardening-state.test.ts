/**
 * Issue 10, "State that must never block a valid session": optional cache
 * writes on a full or read-only disk, stale and garbage lock files, an unsafe
 * OSCONSOLE_CONFIG_DIR, a token Keystone rejected early, a cloud upgrade under
 * a cached version range, a failed spice-direct token lookup, and `logout`
 * with no current session.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, expectExit, runMain } from '../helpers/cli.js';
import type { TestEnv } from '../helpers/env.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';
import { Simulator } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

async function login(t: TestEnv, sim: Simulator, extra: Record<string, string | undefined> = {}) {
  const r = await t.main(['login'], { ...sim.env('demo'), ...extra });
  expect(r.code, r.stderr).toBe(0);
}

const tokenPosts = (sim: Simulator) =>
  sim.requests('identity').filter((e) => e.method === 'POST' && e.path.endsWith('/auth/tokens'));
const versionGets = (sim: Simulator) =>
  sim.requests('compute').filter((e) => e.method === 'GET' && /^\/compute(\/v2\.1)?\/?$/.test(e.path));

/** mount(8) works here (root on Linux, with CAP_SYS_ADMIN): the full-disk and read-only tests need it. */
const canMount = ((): boolean => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'osconsole-mnt-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

describe.skipIf(!canMount)(
  'optional cache writes on a full or read-only disk (needs root and mount(8); skipped otherwise)',
  () => {
    const mounts: string[] = [];
    const mountPoint = () => {
      const dir = mkdtempSync(join(tmpdir(), 'osconsole-mnt-'));
      mounts.push(dir);
      return dir;
    };
    afterEach(() => {
      for (const dir of mounts.splice(0).reverse()) {
        try {
          execFileSync('umount', [dir], { stdio: 'pipe' });
        } catch {
          // not mounted (the test failed before mounting)
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('ENOSPC: a full disk only costs the version range and completion caches: one warning, exit 0, the URL, no temp files', async () => {
      const dir = mountPoint();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir]);
      const extra = { OSCONSOLE_CONFIG_DIR: dir };
      await login(env.t, ctx.sim, extra);
      const filler = join(dir, 'filler');
      try {
        for (;;) appendFileSync(filler, Buffer.alloc(4096));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      const r = await env.t.main(['console', 'get', 'web-1'], extra);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/novnc\/\S+\n$/);
      expect(r.stderr).toMatch(
        /^osconsole: warning: could not update the cache in .* \(ENOSPC[^\n]*\); carrying on without it\n$/,
      );
      expect(readdirSync(dir).sort()).toEqual(['filler', 'sessions.json']);
    });

    it('EROFS: a read-only config directory: one warning, exit 0, the URL', async () => {
      await login(env.t, ctx.sim);
      const dir = mountPoint();
      execFileSync('mount', ['--bind', env.t.configDir, dir]);
      execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
      const r = await env.t.main(['console', 'get', 'web-1'], { OSCONSOLE_CONFIG_DIR: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/novnc\/\S+\n$/);
      expect(r.stderr).toMatch(
        /^osconsole: warning: could not update the cache in .* \(EROFS[^\n]*\); carrying on without it\n$/,
      );
      expect(readdirSync(env.t.configDir)).toEqual(['sessions.json']);
    });
  },
);

/** The PID of a process that has exited (and was reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('lock files', () => {
  const lockPath = () => join(env.t.configDir, 'sessions.lock');

  it('a lock whose owner process is gone (same host) is taken over at once, not after 10 s', async () => {
    await login(env.t, ctx.sim);
    writeFileSync(lockPath(), `${JSON.stringify({ pid: await deadPid(), host: hostname() })}\n`, { mode: 0o600 });
    const started = Date.now();
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'second' });
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    expect(took).toBeLessThan(3000);
    expect(Object.keys(env.t.sessions().sessions).sort()).toEqual(['envvars', 'second']);
    expect(readdirSync(env.t.configDir).sort()).toEqual(['sessions.json']);
  });

  for (const [what, text] of [
    ['a 0-byte', ''],
    ['a garbage', 'not a lock \u0000\n'],
  ] as const) {
    it(`${what} lock file is stale after a short grace (about 1 s), not 10 s`, async () => {
      await login(env.t, ctx.sim);
      writeFileSync(lockPath(), text, { mode: 0o600 });
      const started = Date.now();
      const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'second' });
      const took = Date.now() - started;
      expect(r.code, r.stderr).toBe(0);
      expect(took).toBeLessThan(3000);
      expect(readdirSync(env.t.configDir).sort()).toEqual(['sessions.json']);
    });
  }

  it("a lock held by a live process on another host is left alone until it is old (we cannot judge that host's PIDs)", async () => {
    await login(env.t, ctx.sim);
    writeFileSync(lockPath(), `${JSON.stringify({ pid: await deadPid(), host: `not-${hostname()}` })}\n`, {
      mode: 0o600,
    });
    const stale = new Date(Date.now() - 8_500);
    utimesSync(lockPath(), stale, stale);
    const started = Date.now();
    const r = await env.t.run(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'second' }, { timeoutMs: 20_000 });
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    // The age rule (10 s) decided, not the dead PID.
    expect(took).toBeGreaterThan(1000);
  });

  it('ten processes racing one stale lock all succeed, and every write is in a valid sessions.json', async () => {
    await login(env.t, ctx.sim);
    writeFileSync(lockPath(), `${JSON.stringify({ pid: await deadPid(), host: hostname() })}\n`, { mode: 0o600 });
    const names = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    const results = await Promise.all(
      names.map((n) => env.t.run(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: n }, { timeoutMs: 40_000 })),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(env.t.sessions().sessions).sort()).toEqual(['envvars', ...names].sort());
    expect(readdirSync(env.t.configDir).sort()).toEqual(['sessions.json']);
  });
});

describe('lock takeover is atomic', () => {
  /**
   * Eight processes each make 30 read-modify-writes of sessions.json through the
   * built SessionStore, while this process keeps planting crashed-owner locks
   * (a dead PID, an old mtime) whenever the lock is free. Every waiter judges
   * each planted lock stale at once; if two of them could both win, two
   * writers would overlap and an update would be lost.
   */
  it('processes that all judge the same lock stale never both hold it: no update is lost', async () => {
    await login(env.t, ctx.sim);
    const dead = await deadPid();
    const store = join(ROOT, 'dist', 'src', 'config', 'session-store.js');
    const worker = `
      const { SessionStore } = await import(${JSON.stringify(store)});
      const s = SessionStore.open({ env: { OSCONSOLE_CONFIG_DIR: ${JSON.stringify(env.t.configDir)} }, homedir: '/', platform: process.platform }, () => {});
      for (let i = 0; i < 30; i++) await s.update((f) => { f.sessions.envvars.roles.push(process.pid + '-' + i); });
    `;
    const lock = join(env.t.configDir, 'sessions.lock');
    const planted = join(env.t.configDir, 'planted');
    writeFileSync(planted, `${JSON.stringify({ pid: dead, host: hostname() })}\n`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(planted, old, old);
    let plants = 0;
    const planter = setInterval(() => {
      try {
        linkSync(planted, lock);
        plants++;
      } catch {
        // held: plant again later
      }
    }, 1);
    try {
      const runs = Array.from(
        { length: 8 },
        () =>
          new Promise<{ code: number; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', worker], {
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            let stderr = '';
            child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
            child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
          }),
      );
      const results = await Promise.all(runs);
      expect(
        results.map((r) => r.code),
        results.map((r) => r.stderr).join(''),
      ).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      clearInterval(planter);
    }
    rmSync(planted);
    rmSync(lock, { force: true });
    const roles = env.t.sessions().sessions.envvars!.roles;
    expect(roles.filter((r) => r.includes('-'))).toHaveLength(240);
    expect(plants, 'planted locks').toBeGreaterThan(5);
    expect(readdirSync(env.t.configDir).sort()).toEqual(['sessions.json']);
  }, 60_000);
});

describe('an unsafe OSCONSOLE_CONFIG_DIR is refused (exit 2) before any login request', () => {
  it('a regular file', async () => {
    const file = env.t.write('not-a-dir', 'x');
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OSCONSOLE_CONFIG_DIR: file });
    expect(r.stderr).toBe(`osconsole: OSCONSOLE_CONFIG_DIR ${file} is not a directory\n`);
    expect(r.code, r.stderr).toBe(2);
    expect(tokenPosts(ctx.sim)).toHaveLength(0);
  });

  it('a directory others can write (not sticky)', async () => {
    mkdirSync(env.t.configDir);
    chmodSync(env.t.configDir, 0o777);
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.stderr).toMatch(
      /^osconsole: refusing to use OSCONSOLE_CONFIG_DIR .*: other users can write to it \(mode 0777\); run: chmod 700 /,
    );
    expect(r.code, r.stderr).toBe(2);
    expect(tokenPosts(ctx.sim)).toHaveLength(0);
  });

  it.runIf(process.getuid?.() === 0)('a directory owned by someone else', async () => {
    mkdirSync(env.t.configDir, { mode: 0o700 });
    chownSync(env.t.configDir, 65534, 65534);
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.stderr).toMatch(
      /^osconsole: refusing to use OSCONSOLE_CONFIG_DIR .*: it belongs to another user \(uid 65534\)/,
    );
    expect(r.code, r.stderr).toBe(2);
    expect(tokenPosts(ctx.sim)).toHaveLength(0);
  });

  it('a shared sticky directory (like /tmp) is still accepted', async () => {
    mkdirSync(env.t.configDir);
    chmodSync(env.t.configDir, 0o1777);
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('a token Keystone rejected before its expiry', () => {
  it('keeps its real expires_at in status (all formats) and logout, marked as rejected', async () => {
    await login(env.t, ctx.sim);
    const s = env.t.sessions().sessions.envvars!;
    ctx.sim.keystone.tokens.get(s.token)!.revoked = true;
    // No credentials in the environment: the session cannot be renewed without a person.
    const c = await env.t.main(['console', 'get', 'web-1']);
    expect(c.code, c.stderr).toBe(3);
    expect(c.stderr).toMatch(
      /^osconsole: the token of cloud "envvars" was rejected by Keystone before its expiry \(20\d\d-.*\) and cannot be renewed without you/,
    );
    expect(env.t.sessions().sessions.envvars!.expires_at).toBe(s.expires_at);
    const tsv = await env.t.main(['status']);
    expect(tsv.code, tsv.stderr).toBe(0);
    expect(tsv.stdout).toBe(`*\tenvvars\tdemo\tdemo\tRegionOne\tpublic\t${s.expires_at}\t0\n`);
    const json = JSON.parse((await env.t.main(['status', '--json'])).stdout) as {
      sessions: Array<Record<string, unknown>>;
    };
    expect(json.sessions[0]).toMatchObject({ expires_at: s.expires_at, expires_in: 0, valid: false, rejected: true });
    const table = await runMain(['status'], { tty: true, env: { OSCONSOLE_CONFIG_DIR: env.t.configDir } });
    expect(table.stdout).toMatch(/rejected by Keystone \(expires 20\d\d-/);
    expect(table.stdout).not.toMatch(/1970/);
    // One DELETE: a 500 is not retried.
    ctx.sim.addFault({ match: { method: 'DELETE', service: 'identity' }, action: { kind: 'status', status: 500 } });
    const out = await env.t.main(['logout']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).not.toMatch(/1970/);
    expect(out.stderr).toMatch(
      /could not revoke the token of envvars \(.*\); Keystone had already rejected it \(it would have expired at /,
    );
  });
});

describe('a cloud upgrade is noticed', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await Simulator.start({ computeMaxVersion: '2.93' });
  });
  afterAll(async () => {
    await sim.stop();
  });
  const upgrade = async (to: string) => {
    const { v } = await import('../sim/microversion.js');
    Object.assign(sim.nova.RegionOne, { max: v(to) });
  };
  afterEach(() => upgrade('2.93'));

  it('a type refused because of the cached range re-reads the version document once, then succeeds', async () => {
    await login(env.t, sim);
    expectExit(await env.t.main(['console', 'get', 'web-1']), 0);
    expect(env.t.sessions().sessions.envvars!.compute_versions).toMatchObject({
      [`${sim.url}/compute/v2.1`]: { max: '2.93' },
    });
    await upgrade('2.100');
    sim.clearLog();
    const r = await env.t.main(['console', 'get', 'web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/spice-direct/);
    expect(versionGets(sim)).toHaveLength(1);
    expect(env.t.sessions().sessions.envvars!.compute_versions).toMatchObject({
      [`${sim.url}/compute/v2.1`]: { max: '2.100' },
    });
    // The 24 h reuse stays for everything else: no version document read.
    sim.clearLog();
    expectExit(await env.t.main(['console', 'get', 'web-1']), 0);
    expect(versionGets(sim)).toHaveLength(0);
  });

  it('a type the cloud really lacks is still refused after the one re-check (exit 6)', async () => {
    await login(env.t, sim);
    expectExit(await env.t.main(['console', 'get', 'web-1']), 0);
    sim.clearLog();
    const r = await env.t.main(['console', 'get', 'web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/spice-direct needs compute API 2\.99 .*; this cloud offers 2\.1–2\.93 \(Zed\)/);
    expect(versionGets(sim)).toHaveLength(1);
  });

  it("a refusal that no upgrade could change (a pin below the type's floor) does not re-read the version document", async () => {
    await login(env.t, sim);
    expectExit(await env.t.main(['console', 'get', 'web-1']), 0);
    sim.clearLog();
    const r = await env.t.main(['console', 'get', 'web-1', '--type', 'webmks', '--os-compute-api-version', '2.6']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/webmks needs compute API 2\.8 .*; the version is pinned to 2\.6/);
    expect(versionGets(sim)).toHaveLength(0);
  });

  it('login drops the cached range, so the next command reads the version document anew', async () => {
    await login(env.t, sim);
    expectExit(await env.t.main(['console', 'get', 'web-1']), 0);
    await upgrade('2.100');
    await login(env.t, sim);
    expect(env.t.sessions().sessions.envvars!.compute_versions).toEqual({});
    sim.clearLog();
    const r = await env.t.main(['console', 'get', 'web-1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ microversion: '2.99' });
    expect(versionGets(sim)).toHaveLength(1);
  });
});

describe('spice-direct: a console already created is never discarded', () => {
  it('a 500 on the token lookup prints the URL with a warning (exit 0)', async () => {
    await login(env.t, ctx.sim);
    // One lookup: a 500 is not retried.
    ctx.sim.addFault({
      match: { method: 'GET', path: /os-console-auth-tokens/ },
      action: { kind: 'status', status: 500 },
    });
    const r = await env.t.main(['console', 'get', 'web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/spice-direct\S*\n$/);
    expect(r.stderr).toMatch(
      /^osconsole: warning: could not look up the host and ports of the spice-direct console \(.*500.*\); printing the URL only\n$/,
    );
  });

  it('a timeout on the token lookup prints the URL with a warning (exit 0)', async () => {
    await login(env.t, ctx.sim);
    await env.t.main(['console', 'get', 'web-1']);
    ctx.sim.addFault({ match: { method: 'GET', path: /os-console-auth-tokens/ }, action: { kind: 'hang' } });
    const r = await env.t.main(['--timeout', '1', 'console', 'get', 'web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/spice-direct\S*\n$/);
    expect(r.stderr).toMatch(/warning: could not look up the host and ports .*timed out.*; printing the URL only\n$/);
  });

  it('a 404 of the token is still an error (the console is gone)', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({
      match: { method: 'GET', path: /os-console-auth-tokens/ },
      action: {
        kind: 'status',
        status: 404,
        body: '{"itemNotFound": {"code": 404, "message": "The token could not be found"}}',
        contentType: 'application/json',
      },
    });
    const r = await env.t.main(['console', 'get', 'web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toBe('');
  });
});

describe('logout with no current session', () => {
  it("names the other cloud's live session and how to log out of it (exit 0: nothing to do here)", async () => {
    await login(env.t, ctx.sim, { OS_CLOUD_NAME: 'other' });
    await login(env.t, ctx.sim, { OS_CLOUD_NAME: 'main' });
    expectExit(await env.t.main(['logout']), 0);
    expect(env.t.sessions().current).toBeNull();
    const r = await env.t.main(['logout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'No current session; nothing to do. A session for "other" exists: osconsole logout --os-cloud other\n',
    );
    expect(Object.keys(env.t.sessions().sessions)).toEqual(['other']);
  });

  it('names every live session when there are several', async () => {
    for (const n of ['a', 'b', 'main']) await login(env.t, ctx.sim, { OS_CLOUD_NAME: n });
    expectExit(await env.t.main(['logout']), 0);
    const r = await env.t.main(['logout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'No current session; nothing to do. Sessions exist for "a", "b": osconsole logout --os-cloud NAME, or --all\n',
    );
  });
});
