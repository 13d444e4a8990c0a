/**
 * A live session bound to the compute endpoint a command uses: its settings
 * (region, interface, TLS, pin: config/resolve.ts), the cached microversion range
 * (read once per endpoint, kept 24 h, read again once when it refuses what a
 * command asks), a pinned microversion if any, and one silent re-login when
 * Nova says 401 (never a loop).
 */
import type { Selection, Settings } from '../config/resolve.js';
import { sessionSettings } from '../config/resolve.js';
import type { SessionStore, StoredSession } from '../config/session-store.js';
import { OsconsoleError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { findEndpoint } from '../openstack/catalog.js';
import { fetchVersionRange } from '../openstack/compute.js';
import type { Version, VersionRange } from './microversion.js';
import { CLIENT_MAX, RangeRefusal, compare, describeRange, format, inRange, mustParse } from './microversion.js';
import type { Runtime } from './runtime.js';
import type { Notify } from './sessions.js';
import { liveSession, renewSession } from './sessions.js';

const VERSION_CACHE_MS = 24 * 3600 * 1000;

export class ComputeSession {
  private reauthenticated = false;
  /** Warnings for the command's result, each once. */
  readonly warnings: string[] = [];
  /** The range came from the cloud during this run, not from the cache. */
  private rangeIsFresh = false;

  private constructor(
    readonly rt: Runtime,
    private readonly sel: Selection,
    private readonly notify: Notify,
    public session: StoredSession,
    readonly settings: Settings,
    public http: HttpClient,
    public endpoint: string,
    private readonly store: SessionStore,
  ) {}

  /** `notify` gets the warnings that cannot wait for the result (TLS verification off). */
  static async open(rt: Runtime, sel: Selection, notify: Notify): Promise<ComputeSession> {
    const session = await liveSession(rt, sel, notify);
    const settings = sessionSettings({ ...rt.deps, ...sel, timeoutMs: rt.timeoutMs }, session);
    if (!session.project) {
      throw new OsconsoleError(
        'E_AUTH',
        `the session for ${session.cloud} is not scoped to a project, and Nova needs one`,
        {
          hint: 'run: osconsole login --os-project-name NAME',
        },
      );
    }
    const endpoint = findEndpoint(session.catalog, {
      type: 'compute',
      interface: settings.interface,
      region: settings.regionName,
    });
    if (!settings.tls.verify) notify('TLS certificate verification is disabled (--insecure)');
    const http = await rt.http(settings);
    return new ComputeSession(rt, sel, notify, session, settings, http, endpoint, await rt.sessions());
  }

  /** For servers.json, the other optional cache: true after the store warned once that the disk refused a write. */
  readonly cacheWriteRefused = (err: unknown): boolean => this.store.writeRefused(err);

  get token(): string {
    return this.session.token;
  }

  get projectId(): string {
    return this.session.project?.id ?? '';
  }

  /** The pinned microversion: --os-compute-api-version, OS_COMPUTE_API_VERSION, or the login's clouds.yaml value. */
  pinned(): Version | undefined {
    const raw = this.settings.computeApiVersion;
    return raw ? mustParse(raw, 'compute API version') : undefined;
  }

  /** The endpoint's microversion range: cached for 24 h in the session, else one GET of the version document. */
  async range(): Promise<VersionRange> {
    const cached = this.session.compute_versions?.[this.endpoint];
    if (cached && this.rt.now() - Date.parse(cached.checked_at) < VERSION_CACHE_MS) {
      return { min: mustParse(cached.min, 'cached min version'), max: mustParse(cached.max, 'cached max version') };
    }
    const raw = await fetchVersionRange(this.http, { endpoint: this.endpoint, projectId: this.session.project?.id });
    const range = {
      min: mustParse(raw.min, 'the compute min_version'),
      max: mustParse(raw.max, 'the compute version'),
    };
    this.rangeIsFresh = true;
    await this.saveRange(raw);
    return range;
  }

  /**
   * Runs a call at a version chosen from the endpoint's range. When the cloud
   * may have changed since the range was cached, reads the version document
   * again and retries once: after a 406 (upgraded or downgraded), and when the
   * cached range itself refused the call (a RangeRefusal before any request,
   * e.g. spice-direct needs 2.99 and the cache says 2.93: maybe an upgrade).
   * Anything else keeps the 24 h reuse.
   */
  async withRange<T>(call: (range: VersionRange) => Promise<T>): Promise<T> {
    try {
      return await call(await this.range());
    } catch (err) {
      if (!(err instanceof OsconsoleError)) throw err;
      const refusedByCloud = err.http?.status === 406;
      const refusedByCache = err instanceof RangeRefusal && !this.rangeIsFresh;
      if (!refusedByCloud && !refusedByCache) throw err;
      this.rt.debug(
        refusedByCloud
          ? 'the compute API refused the microversion (406); reading its version document again'
          : `${err.message}; reading the version document again in case the cloud was upgraded`,
      );
      // Only in memory: range() overwrites the cached entry with what it reads.
      delete this.session.compute_versions?.[this.endpoint];
      return call(await this.range());
    }
  }

  private async saveRange(raw: { min: string; max: string }): Promise<void> {
    const entry = { min: raw.min, max: raw.max, checked_at: new Date(this.rt.now()).toISOString() };
    this.session.compute_versions = { ...(this.session.compute_versions ?? {}), [this.endpoint]: entry };
    const store = await this.rt.sessions();
    // A cache: a full or read-only disk costs a warning and the next command one more GET.
    await store.updateOptional((f) => {
      const s = f.sessions[this.session.cloud];
      // Whichever session the cloud has now: the range belongs to the endpoint, not the token.
      if (s) s.compute_versions = { ...(s.compute_versions ?? {}), [this.endpoint]: entry };
    });
  }

  /**
   * A pinned version must lie within the cloud's range; one above 2.99, the
   * newest console API osconsole knows, is used as 2.99 (with a warning).
   */
  checkPinned(v: Version, range: VersionRange): Version {
    if (!inRange(v, range)) {
      throw new RangeRefusal(
        `the pinned compute API version ${format(v)} is outside this cloud's range ${describeRange(range)}`,
        {
          hint: 'change --os-compute-api-version / OS_COMPUTE_API_VERSION',
        },
      );
    }
    if (compare(v, CLIENT_MAX) <= 0) return v;
    const warning = `the pinned compute API version ${format(v)} is above ${format(CLIENT_MAX)}, the newest console API osconsole knows; using ${format(CLIENT_MAX)}`;
    if (!this.warnings.includes(warning)) this.warnings.push(warning);
    return CLIENT_MAX;
  }

  /**
   * Runs a call with the session token; after a 401, logs in again without a
   * prompt (or fails with "run: osconsole login") and retries once.
   */
  async withAuth<T>(call: (token: string) => Promise<T>): Promise<T> {
    try {
      return await call(this.session.token);
    } catch (err) {
      if (!(err instanceof OsconsoleError) || err.http?.status !== 401 || this.reauthenticated || isNovaOwn401(err))
        throw err;
      this.reauthenticated = true;
      this.rt.debug('the compute API refused the cached token (401); logging in again');
      // Marked rejected, expires_at kept: status and logout then say what happened and when it would have expired.
      const rejectedAt = new Date(this.rt.now()).toISOString();
      this.session.rejected_at = rejectedAt;
      const store = await this.rt.sessions();
      await store.updateOptional((f) => {
        const s = f.sessions[this.session.cloud];
        if (s && s.token === this.session.token) s.rejected_at = rejectedAt;
      });
      this.session = await renewSession(this.rt, this.sel, this.session.cloud, this.notify, this.session);
      try {
        return await call(this.session.token);
      } catch (again) {
        if (again instanceof OsconsoleError && again.http?.status === 401) {
          throw new OsconsoleError('E_AUTH', `the compute API refuses a fresh token too: ${again.http.message}`, {
            hint: 'run: osconsole login',
            cause: again,
          });
        }
        throw again;
      }
    }
  }

  describe(): string {
    const { interface: iface, regionName: region } = this.settings;
    return `${iface} compute endpoint${region ? ` in ${region}` : ''} (${this.endpoint})`;
  }
}

/** Nova's own 401 (Zed's console-auth-tokens below 2.31) has an `unauthorized` fault body, not the middleware's. */
function isNovaOwn401(err: OsconsoleError): boolean {
  const body = err.http?.body;
  return typeof body === 'object' && body !== null && 'unauthorized' in body;
}
