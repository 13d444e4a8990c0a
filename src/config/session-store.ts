/**
 * The session cache: one file (through conf) holding a Keystone token per
 * cloud and which cloud is current. It is the only place a credential touches
 * the disk, so it is kept as ssh keeps keys:
 *  - directory 0700 and file 0600 whatever the umask; a file that other users
 *    can read, or that someone else owns, is refused with the reason;
 *  - writes are atomic (conf writes a temp file and renames it) and the
 *    read-modify-write of an update runs under a lock file, so concurrent
 *    processes never lose each other's entries;
 *  - a damaged file (a crash, a full disk) is moved aside and treated as empty.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type Conf from 'conf';
import { OsconsoleError } from '../errors.js';
import type { PathContext } from './paths.js';
import { SESSIONS_NAME, configDir } from './paths.js';

export const SCHEMA_VERSION = 1;

export interface Named {
  id: string;
  name: string;
}

export interface CatalogEndpoint {
  interface: string;
  region: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
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
  tls: { verify: boolean; cacert: string | null; cert: string | null; key: string | null };
  /** A pinned compute microversion (--os-compute-api-version), validated when used. */
  compute_api_version: string | null;
  /** Compute version documents seen, by endpoint URL (kept 24 h). */
  compute_versions: Record<string, ComputeVersionRange>;
  /** The application credential a token came from (id and name, never the secret). */
  application_credential?: Named | null;
}

export interface SessionFile {
  schema_version: number;
  current: string | null;
  sessions: Record<string, StoredSession>;
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

export class SessionStore {
  private conf?: Conf<Record<string, unknown>>;
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
    ensurePrivateDir(dir, warn);
    return new SessionStore(dir, warn);
  }

  /**
   * conf writes the file (atomically, with its mode); it is loaded only for
   * writes, since reading is one readFileSync and conf with its schema
   * validator costs ~50 ms of start-up that a cached `console get` need not pay.
   */
  private async writer(): Promise<Conf<Record<string, unknown>>> {
    if (!this.conf) {
      const { default: ConfClass } = await import('conf');
      this.conf = new ConfClass<Record<string, unknown>>({
        cwd: this.dir,
        configName: SESSIONS_NAME,
        projectSuffix: '',
        configFileMode: 0o600,
        clearInvalidConfig: false,
        serialize: (value) => `${JSON.stringify(value, null, 2)}\n`,
        // conf reads the file in its constructor; a damaged one is handled by read() and update().
        deserialize: (text) => (safeParse(text) ?? {}) as Record<string, unknown>,
      });
    }
    return this.conf;
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

  /** Read-modify-write under the lock; `change` mutates the file in place. */
  async update(change: (file: SessionFile) => void): Promise<SessionFile> {
    const conf = await this.writer();
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
      conf.store = file as unknown as Record<string, unknown>;
      // The temp file is created 0600; make sure of it even on filesystems that ignore modes on create.
      chmodSync(this.path, 0o600);
      return file;
    });
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
      throw new OsconsoleError('E_AUTH', `refusing to use the session cache ${this.path}: it belongs to another user (uid ${st.uid})`, {
        hint: 'remove it or set OSCONSOLE_CONFIG_DIR to a directory of your own',
      });
    }
    if ((st.mode & 0o077) !== 0) {
      throw new OsconsoleError('E_AUTH', `refusing to use the session cache ${this.path}: other users can access it (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`, {
        hint: `run: chmod 600 ${this.path}`,
      });
    }
    return readFileSync(this.path, 'utf8');
  }

  private newer(schema: number): OsconsoleError {
    return new OsconsoleError('E_UNEXPECTED', `the session cache ${this.path} was written by a newer osconsole (schema ${schema})`, {
      hint: 'upgrade osconsole, or remove the file to log in again',
    });
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
      this.warn(`the session cache ${this.path} was damaged (${reason}); moved it to ${aside} (logout --all deletes it) and continuing as logged out`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private withLock<T>(fn: () => T): T {
    const lock = join(this.dir, `${SESSIONS_NAME}.lock`);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const fd = openSync(lock, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (lockIsStale(lock)) {
          try {
            unlinkSync(lock);
          } catch {
            // someone else removed it first
          }
          continue;
        }
        if (Date.now() > deadline) {
          throw new OsconsoleError('E_UNEXPECTED', `the session cache is locked by ${lock}`, { hint: 'remove that file if no other osconsole is running' });
        }
        sleepSync(5 + Math.floor(Math.random() * 20));
      }
    }
    try {
      return fn();
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    }
  }
}

function lockIsStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The directory is 0700 whatever the umask: created so, or tightened (with a
 * warning) when it is ours and others can enter it. A shared sticky directory
 * such as /tmp (OSCONSOLE_CONFIG_DIR=/tmp) is never changed; the file's own
 * 0600 and the ownership checks still protect the cache there.
 */
function ensurePrivateDir(dir: string, warn: (message: string) => void): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return;
  }
  const loose = (st.mode & 0o077) !== 0;
  const sticky = (st.mode & 0o1000) !== 0;
  if (loose && !sticky && st.uid === process.getuid?.()) {
    chmodSync(dir, 0o700);
    warn(`tightened the permissions of ${dir} from ${(st.mode & 0o777).toString(8).padStart(4, '0')} to 0700: it holds your session tokens`);
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
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, reason: 'not a JSON object' };
  const d = data as Record<string, unknown>;
  if (typeof d.schema_version !== 'number') return { ok: false, reason: 'no schema_version' };
  if (d.schema_version > SCHEMA_VERSION) return { ok: false, reason: 'newer schema', newer: d.schema_version };
  if (typeof d.sessions !== 'object' || d.sessions === null || Array.isArray(d.sessions)) return { ok: false, reason: 'no sessions object' };
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
