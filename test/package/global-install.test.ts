/**
 * The published package: `npm pack` holds only what runs (bin, the bundle, man
 * page, completions, README, LICENSE), and a global install of the tarball into
 * a temporary prefix works: `osconsole --version`, a login and a `console get`
 * against the simulator, the man page where man finds it.
 * Run by `npm run test:package` (and .ci/run); it needs the npm registry for
 * the package's dependencies. OSCONSOLE_TEST_NODE names another Node binary to
 * run the installed package with (.ci/run: the official 20, 22 and 24).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv, runCli } from '../helpers/cli.js';
import { Simulator } from '../sim/index.js';

const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The Node that runs the installed package (the bin's `#!/usr/bin/env node` would take the PATH's). */
const NODE = process.env.OSCONSOLE_TEST_NODE || process.execPath;

let dir: string;
let tarball: string;
let bin: string;
let sim: Simulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osconsole-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 1 << 24 });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, info!.filename);
  packed = info!.files.map((f) => f.path);
  await run('npm', ['install', '--global', '--no-audit', '--no-fund', '--prefix', join(dir, 'prefix'), tarball], {
    cwd: dir,
    maxBuffer: 1 << 24,
  });
  // runCli's `binary` is one executable: a wrapper that runs the installed bin with NODE.
  const script = join(dir, 'prefix', 'lib', 'node_modules', 'osconsole', 'bin', 'osconsole.js');
  writeFileSync(join(dir, 'osconsole-with-node'), `#!/bin/sh\nexec "${NODE}" "${script}" "$@"\n`, { mode: 0o755 });
  bin = join(dir, 'osconsole-with-node');
  sim = await Simulator.start();
}, 300_000);

afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let packed: string[] = [];

describe('npm pack', () => {
  it('contains only what runs', () => {
    const top = [...new Set(packed.map((p) => p.split('/')[0]))].sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'bin', 'completions', 'dist', 'man', 'package.json']);
    expect(packed.filter((p) => p.startsWith('dist/')).every((p) => p.startsWith('dist/bundle/'))).toBe(true);
    expect(packed).toContain('bin/osconsole.js');
    expect(packed).toContain('bin/package.json'); // it makes the bin CommonJS
    expect(packed).toContain('man/osconsole.1');
    expect(packed.some((p) => p.startsWith('test/') || p.startsWith('src/'))).toBe(false);
  });
});

describe(`installed globally from the tarball, run by Node ${process.env.OSCONSOLE_TEST_NODE ? '(OSCONSOLE_TEST_NODE)' : process.version}`, () => {
  it('osconsole --version, on the Node asked for', async () => {
    const { stdout } = await run(bin, ['--version']);
    expect(stdout).toBe(`${VERSION}\n`);
    const { stdout: v } = await run(NODE, ['--version']);
    process.stderr.write(`package tier: installed osconsole run by Node ${v.trim()}\n`);
  });

  it('logs in and gets a console URL from the simulator', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osconsole-pack-home-'));
    try {
      const env = cleanEnv(home, sim.env('demo'));
      const login = await runCli(['login'], { env, binary: bin });
      expect(login.code, login.stderr).toBe(0);
      const get = await runCli(['console', 'get', 'web-1'], { env, binary: bin });
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/console\/novnc\/vnc_lite\.html\?path=%3Ftoken%3D[0-9a-f-]{36}\n$/,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("a cached console get loads neither Node's own undici nor tls (http://), nor what it does not use, on Node 22 and 24 too", async () => {
    // Node 22/24: an ES import of node:http would load both (its lazy WebSocket getters).
    // The rest (README "Speed"): crypto, child_process, assert, worker_threads and perf_hooks
    // wait for a first use.
    const home = mkdtempSync(join(tmpdir(), 'osconsole-pack-home-'));
    try {
      const hook = join(home, 'modules.cjs');
      const out = join(home, 'modules.json');
      writeFileSync(
        hook,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)));\n`,
      );
      const env = cleanEnv(home, sim.env('demo'));
      expect((await runCli(['login'], { env, binary: bin })).code).toBe(0);
      // The second one runs with the code cache the first one wrote.
      for (let i = 0; i < 2; i++) {
        const get = await runCli(['console', 'get', 'web-1'], {
          env: { ...env, NODE_OPTIONS: `--require=${hook}`, OSCONSOLE_BOOT_TRACE: '1' },
          binary: bin,
        });
        expect(get.code, get.stderr).toBe(0);
        expect(get.stderr).toMatch(i === 0 ? /loaded hot, no cache/ : /loaded hot, cache used/);
      }
      const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
      expect(loaded.length).toBeGreaterThan(50);
      expect(loaded.filter((m) => /internal\/deps\/undici|^NativeModule (tls|_tls_wrap|http2)$/.test(m))).toEqual([]);
      expect(
        loaded.filter((m) => /^NativeModule (crypto|child_process|assert|worker_threads|perf_hooks)$/.test(m)),
      ).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('clouds.yaml on the hot path: yaml comes from the installed dependencies, not hot.cjs', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osconsole-pack-home-'));
    try {
      const e = sim.env('demo');
      mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
      writeFileSync(
        join(home, '.config', 'openstack', 'clouds.yaml'),
        [
          'clouds:',
          '  packcloud:',
          '    auth:',
          `      auth_url: ${e.OS_AUTH_URL}`,
          `      username: ${e.OS_USERNAME}`,
          `      password: ${e.OS_PASSWORD}`,
          `      project_name: ${e.OS_PROJECT_NAME}`,
          '      user_domain_name: Default',
          '      project_domain_name: Default',
          `    region_name: ${e.OS_REGION_NAME}`,
          '',
        ].join('\n'),
      );
      const env = cleanEnv(home, {});
      // Without a cached session, console get logs in from clouds.yaml (and so parses it).
      const hook = join(home, 'required.cjs');
      const out = join(home, 'required.json');
      writeFileSync(
        hook,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`,
      );
      const get = await runCli(['console', 'get', 'web-1', '--os-cloud', 'packcloud'], {
        env: { ...env, NODE_OPTIONS: `--require=${hook}`, OSCONSOLE_BOOT_TRACE: '1' },
        binary: bin,
      });
      expect(get.code, get.stderr).toBe(0);
      expect(get.stderr).toMatch(/loaded hot/);
      expect(get.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/novnc\/vnc_lite\.html\?path=/);
      const required = JSON.parse(readFileSync(out, 'utf8')) as string[];
      expect(required.some((f) => /[\\/]osconsole[\\/]node_modules[\\/]yaml[\\/]/.test(f))).toBe(true);
      const bad = await runCli(['console', 'get', 'web-1', '--os-cloud', 'nosuchcloud'], { env, binary: bin });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/nosuchcloud/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('puts the man page where man looks', () => {
    expect(existsSync(join(dir, 'prefix', 'share', 'man', 'man1', 'osconsole.1'))).toBe(true);
  });
});
