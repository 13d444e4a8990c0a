/**
 * The session cache: one file holding a Keystone token per cloud and which
 * cloud is current. It is the only place a credential touches the disk, so it
 * is kept as ssh keeps keys:
 *  - directory 0700 and file 0600 whatever the umask; a file that other users
 *    can read, or that someone else owns, is refused with the reason;
 *  - the directory must be ours (or root's, for a sticky /tmp) and not
 *    writable by others, checked before anything else (so before a login);
 *  - writes are atomic (writeFileAtomic: a 0600 temp file, fsync, rename) and
 *    the read-modify-write of an update runs under a lock file, so concurrent
 *    processes never lose each other's entries;
 *  - a damaged file (a crash, a full disk) is moved aside and treated as empty;
 *  - a write that only saves an optional fact (updateOptional) and that the
 *    disk refuses (full, read-only) costs one warning, never the command.
 */
import {
  chmodSync,
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OsconsoleError } from '../errors.js';
import type { TlsOptions } from '../http/client.js';
import type { CatalogService } from '../openstack/catalog.js';
import { randomHex, writeFileAtomic } from './atomic-write.js';
import type { PathContext } from './paths.js';
import { SESSIONS_NAME, configDir } from './paths.js';

export const SCHEMA_VERSION = 1;

export interface Named {
  id: string;
  name: string;
}

export interface ComputeVersionRange {
  min: string;
  max: string;
  checked_at: string;
}

/** One cached login. Never holds a password, passcode or application-credential secret. */
export interface StoredSession {
  cloud: string;
  /** The auth URL as configured. */
  auth_url: string;
  /** The Keystone v3 root tokens were issued by (after discovery). */
  identity_url: string;
  auth_type: string;
  token: string;
  issued_at: string;
  expires_at: string;
  methods: string[];
  user: Named & { domain: Named };
  project: (Named & { domain: Named }) | null;
  domain: Named | null;
  system: boolean;
  roles: string[];
  catalog: CatalogService[];
  region_name: string | null;
  interface: string;
  tls: TlsOptions;
  /** A pinned compute microversion (--os-compute-api-version), validated when used. */
  compute_api_version: string | null;
  /** Compute version documents seen, by endpoint URL (kept 24 h). */
  compute_versions: Record<string, ComputeVersionRange>;
  /** When a service refused the token (401) before expires_at: the session is dead, expires_at stays true. */
  rejected_at?: string | null;
  /** The application credential a token came from (id and name, never the secret). */
  application_credential?: Named | null;
}

export interface SessionFile {
  schema_version: number;
  current: string | null;
  sessions: Record<string, StoredSession>;
}

const LOCK_STALE_MS = 10_000;
/** A lock file without a readable owner is stale after this (see acquireLock). */
const LOCK_GARBAGE_GRACE_MS = 1_000;
const LOCK_WAIT_MS = 15_000;

/** What a disk says when it will not take a write: full, over quota, read-only, not ours to write. */
const WRITE_REFUSED = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

export function isWriteRefused(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && WRITE_REFUSED.has((err as NodeJS.ErrnoException).code ?? '');
}

export class SessionStore {
  private warnedWrite = false;
  readonly path: string;

  private constructor(
    readonly dir: string,
    private readonly warn: (message: string) => void,
  ) {
    this.path = join(dir, `${SESSIONS_NAME}.json`);
  }

  /** Opens (without creating) the cache. */
  static open(ctx: PathContext, warn: (message: string) => void): SessionStore {
    const dir = configDir(ctx);
    ensurePrivateDir(
      dir,
      ctx.env.OSCONSOLE_CONFIG_DIR ? `OSCONSOLE_CONFIG_DIR ${dir}` : `the config directory ${dir}`,
      ctx.platform,
      warn,
    );
    return new SessionStore(dir, warn);
  }

  /** A consistent snapshot (writers rename whole files into place). */
  read(): SessionFile {
    const text = this.readRaw();
    if (text === undefined) return emptyFile();
    const parsed = parseSessionFile(text);
    if (parsed.ok) return parsed.file;
    if (parsed.newer) throw this.newer(parsed.newer);
    return this.withLock(() => {
      // Another process may have replaced it meanwhile.
      const again = this.readRaw();
      const reparsed = again === undefined ? undefined : parseSessionFile(again);
      if (reparsed?.ok) return reparsed.file;
      if (again !== undefined) this.moveAside(parsed.reason);
      return emptyFile();
    });
  }

  /** Read-modify-write under the lock; `change` mutates the file in place. (Async since conf was loaded lazily here.) */
  async update(change: (file: SessionFile) => void): Promise<SessionFile> {
    return this.withLock(() => {
      const text = this.readRaw();
      let file = emptyFile();
      if (text !== undefined) {
        const parsed = parseSessionFile(text);
        if (parsed.ok) file = parsed.file;
        else if (parsed.newer) throw this.newer(parsed.newer);
        else this.moveAside(parsed.reason);
      }
      change(file);
      writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
      return file;
    });
  }

  /**
   * update() for facts a command can do without (a compute version range, a
   * rejected token's mark): when the disk refuses the write, warns once and
   * returns false. writeFileAtomic leaves no temp file behind.
   */
  async updateOptional(change: (file: SessionFile) => void): Promise<boolean> {
    try {
      await this.update(change);
      return true;
    } catch (err) {
      if (!this.writeRefused(err)) throw err;
      return false;
    }
  }

  /** true for a refused write of an optional cache (this one or servers.json), after one warning per run. */
  writeRefused(err: unknown): boolean {
    if (!isWriteRefused(err)) return false;
    if (!this.warnedWrite) {
      const why = err.message.replace(/^[A-Z]+: /, '').split(',')[0];
      this.warn(`could not update the cache in ${this.dir} (${err.code}: ${why}); carrying on without it`);
    }
    this.warnedWrite = true;
    return true;
  }

  /** The raw text, after the ssh-style ownership and mode checks; undefined when there is no file. */
  private readRaw(): string | undefined {
    let st;
    try {
      st = statSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new OsconsoleError(
        'E_AUTH',
        `refusing to use the session cache ${this.path}: it belongs to another user (uid ${st.uid})`,
        {
          hint: 'remove it or set OSCONSOLE_CONFIG_DIR to a directory of your own',
        },
      );
    }
    if ((st.mode & 0o077) !== 0) {
      throw new OsconsoleError(
        'E_AUTH',
        `refusing to use the session cache ${this.path}: other users can access it (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`,
        {
          hint: `run: chmod 600 ${this.path}`,
        },
      );
    }
    return readFileSync(this.path, 'utf8');
  }

  private newer(schema: number): OsconsoleError {
    return new OsconsoleError(
      'E_UNEXPECTED',
      `the session cache ${this.path} was written by a newer osconsole (schema ${schema})`,
      {
        hint: 'upgrade osconsole, or remove the file to log in again',
      },
    );
  }

  /** Deletes copies moved aside by moveAside() (they may hold tokens). */
  removeDamagedCopies(): void {
    const prefix = `${SESSIONS_NAME}.json.damaged-`;
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(prefix)) rmSync(join(this.dir, name), { force: true });
    }
  }

  private moveAside(reason: string): void {
    const aside = `${this.path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.path, aside);
      chmodSync(aside, 0o600);
      this.warn(
        `the session cache ${this.path} was damaged (${reason}); moved it to ${aside} (logout --all deletes it) and continuing as logged out`,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private withLock<T>(fn: () => T): T {
    const lock = join(this.dir, `${SESSIONS_NAME}.lock`);
    const mine = acquireLock(lock);
    try {
      return fn();
    } finally {
      // Only our own lock: if it was (wrongly) broken meanwhile, the file is someone else's.
      if (readLock(lock)?.text === mine) rmSync(lock, { force: true });
    }
  }
}

/**
 * The lock file says who holds it: {"pid", "host", "nonce"}. It is written to a
 * private temp file and hard-linked into place (link fails with EEXIST when a
 * lock exists), so our own locks are never seen empty or half-written.
 *
 * A lock is stale, and taken over at once, when its host is this one and its
 * PID is gone (kill(pid, 0) fails with ESRCH; EPERM means the process lives
 * under another user). A PID from another host cannot be judged here, and a
 * live one may have been recycled: those fall back to the age rule (10 s; an
 * update holds the lock for milliseconds). A lock without a readable owner (0
 * bytes or garbage: an older osconsole created the file and then wrote its
 * PID, or a crash or a full disk cut it short) is stale after 1 s, which is
 * ample for a writer between its create and its write.
 *
 * Taking over must be atomic: two processes that judged lock A stale must not
 * both win (P deletes A and links its own lock B; Q, still acting on its
 * judgement of A, deletes B). So deleting a stale lock is serialised by a
 * second file, `<lock>.break`, created with O_EXCL: only its holder deletes the
 * lock, and only after re-reading it and finding the very file it judged (same
 * inode, mtime and text); then everyone competes through link() again. The
 * breaker is held for a read and an unlink; one older than 10 s lost its holder
 * in between and is removed by age (the one window left: two processes judging
 * that breaker stale within the same microseconds).
 */
function acquireLock(lock: string): string {
  const text = `${JSON.stringify({ pid: process.pid, host: hostname(), nonce: randomHex(6) })}\n`;
  // Written once; each attempt is then one link().
  const tmp = `${lock}.${process.pid}-${randomHex(4)}`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      if (createLock(lock, tmp, text)) return text;
      const seen = readLock(lock);
      if (!seen) continue;
      if (lockIsStale(seen) && breakLock(lock, seen)) continue;
      if (Date.now() > deadline) {
        throw new OsconsoleError('E_UNEXPECTED', `the session cache is locked by ${lock}`, {
          hint: 'remove that file if no other osconsole is running',
        });
      }
      sleepSync(5 + Math.floor(Math.random() * 20));
    }
  } finally {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // a read-only disk: nothing was created
    }
  }
}

/** Puts the complete lock in place; false when a lock exists. */
function createLock(lock: string, tmp: string, text: string): boolean {
  try {
    linkSync(tmp, lock);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A filesystem without hard links: create and write (the 1 s grace covers the gap).
    if (code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return createLockInPlace(lock, text);
    throw err;
  }
}

function createLockInPlace(lock: string, text: string): boolean {
  let fd;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
  } catch (err) {
    closeSync(fd);
    rmSync(lock, { force: true });
    throw err;
  }
  closeSync(fd);
  return true;
}

interface SeenLock {
  ino: number;
  mtimeMs: number;
  text: string;
}

/** The lock file as one consistent look (stat and text of the same open file); undefined when there is none. */
function readLock(lock: string): SeenLock | undefined {
  let fd;
  try {
    fd = openSync(lock, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    return { ino: st.ino, mtimeMs: st.mtimeMs, text: readFileSync(fd, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

function lockIsStale(seen: SeenLock): boolean {
  const age = Date.now() - seen.mtimeMs;
  const owner = lockOwner(seen.text);
  if (!owner) return age > LOCK_GARBAGE_GRACE_MS;
  if (owner.host === hostname() && !processAlive(owner.pid)) return true;
  return age > LOCK_STALE_MS;
}

function lockOwner(text: string): { pid: number; host: string } | undefined {
  const data = safeParse(text) as { pid?: unknown; host?: unknown } | undefined;
  if (typeof data !== 'object' || data === null) return undefined;
  const { pid, host } = data;
  // kill(0 or negative) would signal process groups: only a plain positive PID counts.
  return Number.isSafeInteger(pid) && (pid as number) > 0 && typeof host === 'string'
    ? { pid: pid as number, host }
    : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes `seen` if it is still the lock, holding the breaker; false when another process holds the breaker. */
function breakLock(lock: string, seen: SeenLock): boolean {
  const breaker = `${lock}.break`;
  try {
    closeSync(openSync(breaker, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let age = 0;
    try {
      age = Date.now() - statSync(breaker).mtimeMs;
    } catch {
      // released meanwhile
    }
    if (age > LOCK_STALE_MS) rmSync(breaker, { force: true });
    return false;
  }
  try {
    const now = readLock(lock);
    if (now && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs && now.text === seen.text)
      rmSync(lock, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
  return true;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The directory is checked before anything is sent anywhere (a login must not
 * get a token it then cannot store). ssh's StrictModes rules for the directory
 * itself (not its parents, which ssh also walks; a hostile parent could swap
 * the whole directory, but that needs the parent's owner, who owns us anyway):
 *  - it must be a directory (exit 2);
 *  - ours, or root's (a shared sticky /tmp); anyone else could replace our files (exit 2);
 *  - not writable by group or others unless sticky, for the same reason (exit 2);
 *  - ours and merely readable by others: tightened to 0700 with a warning.
 * A new one is created 0700 whatever the umask. A shared sticky directory such
 * as /tmp is never changed; the file's own 0600 and ownership checks protect
 * the cache there. Windows has no such modes; only existence is checked.
 */
function ensurePrivateDir(dir: string, what: string, platform: NodeJS.Platform, warn: (message: string) => void): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new OsconsoleError('E_USAGE', `${what} is not a directory (a parent is a file)`);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return;
  }
  if (!st.isDirectory()) throw new OsconsoleError('E_USAGE', `${what} is not a directory`);
  const uid = process.getuid?.();
  if (platform === 'win32' || uid === undefined) return;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  const sticky = (st.mode & 0o1000) !== 0;
  if (st.uid !== uid && st.uid !== 0) {
    throw new OsconsoleError('E_USAGE', `refusing to use ${what}: it belongs to another user (uid ${st.uid})`, {
      hint: 'set OSCONSOLE_CONFIG_DIR to a directory of your own',
    });
  }
  if ((st.mode & 0o022) !== 0 && !sticky) {
    throw new OsconsoleError('E_USAGE', `refusing to use ${what}: other users can write to it (mode ${mode})`, {
      hint: `run: chmod 700 ${dir}`,
    });
  }
  if ((st.mode & 0o077) !== 0 && !sticky && st.uid === uid) {
    chmodSync(dir, 0o700);
    warn(`tightened the permissions of ${dir} from ${mode} to 0700: it holds your session tokens`);
  }
}

function emptyFile(): SessionFile {
  return { schema_version: SCHEMA_VERSION, current: null, sessions: Object.create(null) };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Parsed = { ok: true; file: SessionFile } | { ok: false; reason: string; newer?: number };

/** Structural check of the file: enough to never crash on a hand-edited or half-written one. */
export function parseSessionFile(text: string): Parsed {
  const data = safeParse(text);
  if (data === undefined) return { ok: false, reason: text.trim() === '' ? 'empty file' : 'invalid JSON' };
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, reason: 'not a JSON object' };
  const d = data as Record<string, unknown>;
  if (typeof d.schema_version !== 'number') return { ok: false, reason: 'no schema_version' };
  if (d.schema_version > SCHEMA_VERSION) return { ok: false, reason: 'newer schema', newer: d.schema_version };
  if (typeof d.sessions !== 'object' || d.sessions === null || Array.isArray(d.sessions))
    return { ok: false, reason: 'no sessions object' };
  // Keyed by cloud name: no prototype, so `toString` or `__proto__` is an ordinary (absent or present) cloud.
  const sessions: Record<string, StoredSession> = Object.create(null);
  // An entry of the wrong shape (hand-edited, or from a broken write) is dropped: that cloud is logged out.
  for (const [name, s] of Object.entries(d.sessions as Record<string, unknown>)) {
    if (isSession(s)) sessions[name] = s;
  }
  const current = typeof d.current === 'string' && Object.hasOwn(sessions, d.current) ? d.current : null;
  return { ok: true, file: { schema_version: SCHEMA_VERSION, current, sessions } };
}

function isSession(s: unknown): s is StoredSession {
  const str = (v: unknown) => typeof v === 'string';
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const named = (v: unknown) => obj(v) && str(v.id) && str(v.name);
  if (!obj(s)) return false;
  const user = s.user;
  const project = s.project;
  return (
    str(s.cloud) &&
    str(s.token) &&
    str(s.expires_at) &&
    str(s.identity_url) &&
    str(s.auth_url) &&
    str(s.auth_type) &&
    str(s.interface) &&
    named(user) &&
    obj(user) &&
    named(user.domain) &&
    (project === null || (named(project) && obj(project) && named(project.domain))) &&
    (s.domain === null || named(s.domain)) &&
    Array.isArray(s.roles) &&
    Array.isArray(s.methods) &&
    Array.isArray(s.catalog) &&
    s.catalog.every((c) => obj(c) && str(c.type) && Array.isArray(c.endpoints)) &&
    obj(s.tls)
  );
}
