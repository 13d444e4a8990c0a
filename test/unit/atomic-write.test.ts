/**
 * writeFileAtomic over the real filesystem: the mode is right before the file
 * is visible, a reader in another process never sees a part of a file, an
 * existing file is replaced whole (a new inode, the old one untouched), and a
 * failed write leaves no temp file and reports the filesystem's own error.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/config/atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osconsole-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o7777;

/** The error a call throws (or undefined). */
function thrown(fn: () => void): NodeJS.ErrnoException | undefined {
  try {
    fn();
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  return undefined;
}

/** The built helper, for child processes (npm test builds first). */
const BUILT = new URL('../../dist/src/config/atomic-write.js', import.meta.url).href;

/**
 * Runs `body` in a child process under the umask given, with writeFileAtomic in
 * scope and the arguments as `args`; returns its stdout. A child because worker
 * threads (the test pool) may not set the umask.
 */
function underUmask(mask: number, body: string, ...args: string[]): string {
  const script = `process.umask(${mask}); const { writeFileAtomic } = await import(${JSON.stringify(BUILT)});
    const args = process.argv.slice(1); ${body}`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script, ...args], { encoding: 'utf8' });
}

describe('writeFileAtomic', () => {
  it('creates the file with the mode asked for, whatever the umask takes away or leaves', () => {
    const secret = join(dir, 'sessions.json');
    // umask 0277 creates 0400: the helper must restore 0600 before the rename.
    underUmask(0o277, `writeFileAtomic(args[0], '{}\\n', 0o600);`, secret);
    expect(modeOf(secret).toString(8)).toBe('600');
    expect(readFileSync(secret, 'utf8')).toBe('{}\n');
    const shared = join(dir, 'osconsole.1');
    underUmask(0o077, `writeFileAtomic(args[0], 'man\\n', 0o644);`, shared);
    expect(modeOf(shared).toString(8)).toBe('644');
    expect(readdirSync(dir).sort()).toEqual(['osconsole.1', 'sessions.json']);
  });

  it('replaces an existing file whole: a new inode, the old one never truncated or rewritten', () => {
    const path = join(dir, 'sessions.json');
    writeFileAtomic(path, 'old content\n', 0o600);
    const before = statSync(path).ino;
    // A second name for the old inode: an in-place write would change what it reads.
    linkSync(path, join(dir, 'old'));
    writeFileAtomic(path, 'new\n', 0o600);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).ino).not.toBe(before);
    expect(readFileSync(join(dir, 'old'), 'utf8')).toBe('old content\n');
    expect(readdirSync(dir).sort()).toEqual(['old', 'sessions.json']);
  });

  it('also tightens an existing file: the new one has the mode asked for, not the old one', () => {
    const path = join(dir, 'servers.json');
    writeFileSync(path, 'x', { mode: 0o644 });
    writeFileAtomic(path, 'y', 0o600);
    expect(modeOf(path).toString(8)).toBe('600');
  });

  it('writes through a symlinked target (the link stays, its file is replaced)', () => {
    mkdirSync(join(dir, 'real'));
    const real = join(dir, 'real', 'sessions.json');
    writeFileSync(real, 'old', { mode: 0o600 });
    const link = join(dir, 'sessions.json');
    symlinkSync(real, link);
    writeFileAtomic(link, 'new', 0o600);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real, 'utf8')).toBe('new');
    expect(readdirSync(join(dir, 'real'))).toEqual(['sessions.json']);
  });

  it('a reader in another process only ever sees a whole file, and only with mode 0600', async () => {
    const path = join(dir, 'sessions.json');
    const stop = join(dir, 'stop');
    const versions = ['a'.repeat(256 * 1024), 'b'.repeat(384 * 1024)].map((v) => `${v}\n`);
    writeFileAtomic(path, versions[0]!, 0o600);
    // Reads the file (content and mode of the same open file) until told to stop.
    const reader = `
      const fs = require('node:fs');
      const [path, stop, a, b] = process.argv.slice(1);
      const seen = { a: 0, b: 0, partial: 0, badMode: 0 };
      process.stdout.write('ready\\n');
      while (!fs.existsSync(stop)) {
        const fd = fs.openSync(path, 'r');
        const mode = fs.fstatSync(fd).mode & 0o7777;
        const text = fs.readFileSync(fd, 'latin1');
        fs.closeSync(fd);
        if (mode !== 0o600) seen.badMode++;
        if (text.length === Number(a) && /^a+\\n$/.test(text)) seen.a++;
        else if (text.length === Number(b) && /^b+\\n$/.test(text)) seen.b++;
        else seen.partial++;
      }
      process.stdout.write(JSON.stringify(seen) + '\\n');
    `;
    const child = spawn(
      process.execPath,
      ['-e', reader, path, stop, String(versions[0]!.length), String(versions[1]!.length)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => {
        if (out.includes('ready')) {
          clearInterval(wait);
          resolve();
        }
      }, 5);
    });
    // umask 0277 would create 0400 files: a mode fixed only after the rename would show.
    const writer = `const [path, a, b] = args; const versions = [a, b].map((n, i) => 'ab'[i].repeat(Number(n) - 1) + '\\n');
      let writes = 0; const until = Date.now() + 1000;
      while (Date.now() < until) writeFileAtomic(path, versions[++writes % 2], 0o600);
      process.stdout.write(String(writes));`;
    const writes = Number(underUmask(0o277, writer, path, String(versions[0]!.length), String(versions[1]!.length)));
    writeFileSync(stop, '');
    expect(await exited).toBe(0);
    const seen = JSON.parse(out.split('\n')[1]!) as Record<string, number>;
    expect(seen, `${writes} writes`).toMatchObject({ partial: 0, badMode: 0 });
    // Both versions were seen, so the reads did interleave with the writes.
    expect(seen.a).toBeGreaterThan(0);
    expect(seen.b).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['sessions.json', 'stop']);
  });

  describe('a failed write leaves no temp file and throws the filesystem error unchanged', () => {
    it('the target is a directory (EISDIR at the rename, after the temp file was written)', () => {
      mkdirSync(join(dir, 'sessions.json'));
      const err = thrown(() => writeFileAtomic(join(dir, 'sessions.json'), 'x', 0o600));
      expect(err?.code).toBe('EISDIR');
      expect(err?.syscall).toBe('rename');
      expect(err?.message).toMatch(/^EISDIR: illegal operation on a directory, rename /);
      expect(readdirSync(dir)).toEqual(['sessions.json']);
      expect(readdirSync(join(dir, 'sessions.json'))).toEqual([]);
    });

    it('a path through a regular file (ENOTDIR: nothing is created)', () => {
      writeFileSync(join(dir, 'file'), 'keep');
      const err = thrown(() => writeFileAtomic(join(dir, 'file', 'sessions.json'), 'x', 0o600));
      expect(err?.code).toBe('ENOTDIR');
      expect(readdirSync(dir)).toEqual(['file']);
      expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('keep');
    });

    // chmod does not stop root: this one runs for other users only.
    it.skipIf(process.getuid?.() === 0 || process.platform === 'win32')(
      'a directory we cannot write (EACCES; skipped as root, whom modes do not stop)',
      () => {
        const ro = join(dir, 'ro');
        mkdirSync(ro, { mode: 0o500 });
        const err = thrown(() => writeFileAtomic(join(ro, 'sessions.json'), 'x', 0o600));
        expect(err?.code).toBe('EACCES');
        expect(readdirSync(ro)).toEqual([]);
      },
    );
  });
});

/** mount(8) works here (root on Linux, with CAP_SYS_ADMIN): the full-disk and read-only cases need it. */
const canMount = ((): boolean => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'osconsole-mnt-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

describe.skipIf(!canMount)('on a full or read-only filesystem (needs root and mount(8); skipped otherwise)', () => {
  let mnt: string;
  beforeEach(() => {
    mnt = mkdtempSync(join(tmpdir(), 'osconsole-atomic-mnt-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt]);
  });
  afterEach(() => {
    execFileSync('umount', [mnt], { stdio: 'pipe' });
    rmSync(mnt, { recursive: true, force: true });
  });

  it('ENOSPC while writing: the old file stays whole, no temp file is left', () => {
    const path = join(mnt, 'sessions.json');
    writeFileAtomic(path, 'old\n', 0o600);
    const err = thrown(() => writeFileAtomic(path, 'x'.repeat(256 * 1024), 0o600));
    expect(err?.code).toBe('ENOSPC');
    expect(err?.message).toMatch(/^ENOSPC: no space left on device, write/);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(mnt)).toEqual(['sessions.json']);
  });

  it('EROFS: the old file stays, nothing is created', () => {
    const path = join(mnt, 'sessions.json');
    writeFileAtomic(path, 'old\n', 0o600);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const err = thrown(() => writeFileAtomic(path, 'new\n', 0o600));
    expect(err?.code).toBe('EROFS');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(mnt)).toEqual(['sessions.json']);
  });
});
