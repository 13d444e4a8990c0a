/**
 * The published package: `npm pack` holds only what runs (bin, the bundle, man
 * page, completions, README, LICENSE), and a global install of the tarball into
 * a temporary prefix works: `osconsole --version`, a login and a `console get`
 * against the simulator, the man page where man finds it.
 * Run by `npm run test:package` (and .ci/run); it needs the npm registry for
 * the package's dependencies.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv, runCli } from '../helpers/cli.js';
import { Simulator } from '../sim/index.js';

const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

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
  bin = join(dir, 'prefix', 'bin', 'osconsole');
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
    expect(packed).toContain('man/osconsole.1');
    expect(packed.some((p) => p.startsWith('test/') || p.startsWith('src/'))).toBe(false);
  });
});

describe('installed globally from the tarball', () => {
  it('osconsole --version', async () => {
    const { stdout } = await run(bin, ['--version']);
    expect(stdout).toBe(`${VERSION}\n`);
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

  it('puts the man page where man looks', () => {
    expect(existsSync(join(dir, 'prefix', 'share', 'man', 'man1', 'osconsole.1'))).toBe(true);
  });
});
