/**
 * The V8 code cache of the hot path (src/boot.ts), through the real binary:
 * written after the first successful hot run (0600 in a 0700 cache/), used by
 * the next, rejected by V8 when it is not for this source and then rewritten,
 * never read when it is not a private regular file, not written after a
 * failure, and off with OSCONSOLE_NO_CODE_CACHE=1. The output is the same
 * whichever way the CLI was loaded. OSCONSOLE_BOOT_TRACE=1 makes the binary
 * say how it loaded.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, expectExit } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import { Simulator } from '../sim/index.js';
import { isHot } from '../../src/boot.js';

const env = useTestEnv();
let sim: Simulator;

afterEach(async () => {
  await sim?.stop();
});

async function start(): Promise<void> {
  sim = await Simulator.start();
  expectExit(await env.t.run(['login'], sim.env('demo')), 0);
}

const cacheDir = () => join(env.t.configDir, 'cache');
const cacheFiles = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((f) => f.endsWith('.v8')) : []);
/** Runs the binary; returns the result and how it said it loaded. */
async function run(args: string[], extra: Record<string, string> = {}) {
  const r = await env.t.run(args, { OSCONSOLE_BOOT_TRACE: '1', ...extra });
  const how = /^osconsole: loaded (.*) \(\d+\.\d ms\)$/m.exec(r.stderr)?.[1];
  return { ...r, how, stderr: r.stderr.replace(/^osconsole: loaded .*\n/m, '') };
}

describe('the hot path and its code cache', () => {
  it('console get: no cache, then one written 0600 in a 0700 cache/, then used; the same URL either way', async () => {
    await start();
    const first = await run(['console', 'get', 'web-1']);
    expectExit(first, 0);
    expect(first.how).toBe('hot, no cache');
    const [file] = cacheFiles();
    expect(file).toMatch(/^hot-\d+\.\d+\.\d+-[0-9a-f]{16}-nodev\d+\.\d+\.\d+-\w+\.v8$/);
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir(), file as string)).mode & 0o777).toBe(0o600);
    expect(statSync(join(cacheDir(), file as string)).size).toBeGreaterThan(100_000);
    const second = await run(['console', 'get', 'web-1']);
    expectExit(second, 0);
    expect(second.how).toBe('hot, cache used');
    const esm = await run(['console', 'get', 'web-1'], { OSCONSOLE_NO_CODE_CACHE: '1' });
    expect(esm.how).toBe('esm');
    const shape = (s: string) => s.replace(/token%3D[0-9a-f-]{36}/, 'token%3D<t>');
    expect(new Set([first.stdout, second.stdout, esm.stdout].map(shape)).size).toBe(1);
    expect([first.stderr, second.stderr, esm.stderr]).toEqual(['', '', '']);
  });

  it('a cache that is not for this source: V8 rejects it, the run works, and the file is rewritten', async () => {
    await start();
    await run(['status']);
    const [file] = cacheFiles();
    const path = join(cacheDir(), file as string);
    const good = readFileSync(path);
    writeFileSync(path, Buffer.alloc(good.length, 7), { mode: 0o600 });
    const r = await run(['status']);
    expectExit(r, 0);
    expect(r.how).toBe('hot, cache rejected');
    expect(readFileSync(path).equals(Buffer.alloc(good.length, 7))).toBe(false);
    expect((await run(['status'])).how).toBe('hot, cache used');
  });

  it('a file others may write, or a symlink, is never read, and is replaced by a private file', async () => {
    await start();
    await run(['--help']);
    const [file] = cacheFiles();
    const path = join(cacheDir(), file as string);
    chmodSync(path, 0o666);
    expect((await run(['--help'])).how).toBe('hot, no cache');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const elsewhere = join(env.t.home, 'elsewhere.v8');
    writeFileSync(elsewhere, readFileSync(path), { mode: 0o600 });
    writeFileSync(path, ''); // replaced below by a link to a valid cache
    symlinkSync(elsewhere, `${path}.link`);
    const { renameSync } = await import('node:fs');
    renameSync(`${path}.link`, path);
    expect((await run(['--help'])).how).toBe('hot, no cache');
    expect(statSync(path).isFile() && !(await import('node:fs')).lstatSync(path).isSymbolicLink()).toBe(true);
  });

  it('a failed run writes no cache; cold commands and OSCONSOLE_NO_CODE_CACHE=1 load the ES chunks', async () => {
    await start();
    const missing = await run(['console', 'get', 'no-such-server']);
    expectExit(missing, 4);
    expect(missing.how).toBe('hot, no cache');
    expect(cacheFiles()).toEqual([]);
    expect((await run(['console', 'log', 'web-1', '-n', '1'])).how).toBe('esm');
    expect((await run(['status'], { OSCONSOLE_NO_CODE_CACHE: '1' })).how).toBe('esm');
    expect(cacheFiles()).toEqual([]);
  });

  it("an older build's cache for this Node goes when the new one is written; another Node's stays", async () => {
    await start();
    await run(['status']);
    const [file] = cacheFiles() as [string];
    const suffix = file.slice(file.indexOf('-node'));
    const older = `hot-0.0.1-0000000000000000${suffix}`;
    const otherNode = 'hot-0.0.1-0000000000000000-nodev99.0.0-x64.v8';
    writeFileSync(join(cacheDir(), older), 'x', { mode: 0o600 });
    writeFileSync(join(cacheDir(), otherNode), 'x', { mode: 0o600 });
    // A rejected cache is rewritten, and the rewrite clears the older build's.
    writeFileSync(join(cacheDir(), file), 'not v8', { mode: 0o600 });
    expect((await run(['status'])).how).toBe('hot, cache rejected');
    expect(cacheFiles().sort()).toEqual([file, otherNode].sort());
  });
});

describe('isHot', () => {
  it.each([
    [[], true],
    [['--help'], true],
    [['console', 'get', 'web-1'], true],
    [['--debug', 'console', 'get', 'web-1', '--json'], true],
    [['status', '--json'], true],
    [['console', 'log', 'web-1'], false],
    [['login'], false],
    [['console', 'attach', 'web-1'], false],
  ] as Array<[string[], boolean]>)('%j → %s', (argv, hot) => {
    expect(isHot(argv)).toBe(hot);
  });
});

describe('the bin without its build', () => {
  it('says how to build it: exit 1, one line, no stack trace; --version still works', async () => {
    // bin/ and package.json alone, as in a clone before `npm ci`.
    const dir = mkdtempSync(join(tmpdir(), 'osconsole-nobuild-'));
    try {
      mkdirSync(join(dir, 'bin'));
      for (const f of ['osconsole.js', 'package.json']) copyFileSync(join(ROOT, 'bin', f), join(dir, 'bin', f));
      copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'osconsole.js'), 'status'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('osconsole: the built code is missing (dist/bundle); run: npm ci (or npm run build)\n');
      const v = spawnSync(process.execPath, [join(dir, 'bin', 'osconsole.js'), '--version'], { encoding: 'utf8' });
      expect(v.status).toBe(0);
      expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
