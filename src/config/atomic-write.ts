/**
 * The one way osconsole writes a file (the session cache, servers.json, the
 * generated docs): a reader sees the old content or the new, never a part of
 * either, and a crash leaves one of the two on disk.
 *  - The temp file sits beside the target, since rename(2) replaces a name
 *    atomically only within one filesystem (POSIX rename()).
 *  - Its name is random and it is created with O_EXCL: never an existing file,
 *    nor a symlink someone planted there.
 *  - Its mode is given at creation and checked with fstat before the rename:
 *    the umask can take bits away, and a token must never be visible, even
 *    briefly, under a mode other than the one asked for.
 *  - fsync before the rename: POSIX does not order the data before the
 *    rename, so a crash could leave the new name on an empty file; ext4 guards
 *    this pattern only by a heuristic (auto_da_alloc, Linux
 *    Documentation/admin-guide/ext4.rst), other filesystems not at all.
 *  - fsync of the directory after it, so the rename itself is on disk (fsync(2):
 *    "an explicit fsync() on a file descriptor for the directory is also needed").
 * On failure (ENOSPC, EROFS, EACCES, EISDIR, ...) the temp file is removed and
 * the error reaches the caller unchanged, so its code and message stay.
 */
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * `bytes` random bytes in hex, for temporary names. node:crypto loads on the
 * first call: as an import it costs every start ~10 ms (README "Speed").
 */
export function randomHex(bytes: number): string {
  return process.getBuiltinModule('node:crypto').randomBytes(bytes).toString('hex');
}

export function writeFileAtomic(path: string, data: string, mode: number): void {
  const target = resolveLink(path);
  const tmp = `${target}.tmp-${randomHex(6)}`;
  let fd: number | undefined = openSync(tmp, 'wx', mode);
  try {
    if (process.platform !== 'win32' && (fstatSync(fd).mode & 0o7777) !== mode) fchmodSync(fd, mode);
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameReplacing(tmp, target);
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(tmp);
    throw err;
  }
  syncDir(dirname(target));
}

/** A symlinked target is written through, as conf did: the link stays and its file is replaced. */
function resolveLink(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // absent (or a dangling link, which the rename replaces)
  }
}

/**
 * On Windows a file that an antivirus or indexer holds open refuses the rename
 * for a moment with EPERM, EACCES or EBUSY; graceful-fs (polyfills.js) and
 * atomically, which conf used, retry it, so this does too, for up to 1 s.
 */
function renameReplacing(from: string, to: string): void {
  const deadline = Date.now() + 1000;
  for (;;) {
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (process.platform !== 'win32' || !['EPERM', 'EACCES', 'EBUSY'].includes(code) || Date.now() > deadline)
        throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

/** Windows cannot open a directory; some filesystems (and FUSE mounts) refuse to fsync one: both are fine. */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  let fd;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EBADF', 'EACCES', 'EPERM'].includes(code)) throw err;
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the first error is the one to report
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // the disk went read-only (or away) meanwhile: nothing more to do
  }
}
