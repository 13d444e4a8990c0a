/**
 * A live session bound to the compute endpoint a command uses: region and
 * interface (flags > OS_* > the session's own), the cached microversion range
 * (read once per endpoint, kept 24 h, read again once when it refuses what a
 * command asks), a pinned microversion if any, and one silent re-login when
 * Nova says 401 (never a loop).
 */
import type { SessionStore, StoredSession } from '../config/session-store.js';
import { absolute, computeVersionOf, envValues, normalizeInterface } from '../config/cloud-config.js';
import { truthy } from '../config/settings.js';
import type { Context } from '../context.js';
import { OsconsoleError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { findEndpoint } from '../openstack/catalog.js';
import { fetchVersionRange } from '../openstack/compute.js';
import { tlsOf } from './authenticate.js';
import type { Version, VersionRange } from './microversion.js';
import { CLIENT_MAX, RangeRefusal, compare, describeRange, format, inRange, mustParse } from './microversion.js';
import type { Selection } from './sessions.js';
import { liveSession, renewSession } from './sessions.js';

const VERSION_CACHE_MS = 24 * 3600 * 1000;

export class ComputeSession {
  private reauthenticated = false;
  private warnedCap = false;
  /** The range came from the cloud during this run, not from the cache. */
  private rangeIsFresh = false;

  private constructor(
    readonly ctx: Context,
    private readonly sel: Selection,
    public session: StoredSession,
    public http: HttpClient,
    public endpoint: string,
    private readonly region: string | undefined,
    private readonly iface: string,
    private readonly store: SessionStore,
  ) {}

  static async open(ctx: Context, sel: Selection): Promise<ComputeSession> {
    const session = await liveSession(ctx, sel);
    const env = envValues(ctx.env);
    const region = sel.flags.region_name ?? env.region_name ?? session.region_name ?? undefined;
    const iface = normalizeInterface(sel.flags.interface ?? env.interface ?? session.interface);
    if (!session.project) {
      throw new OsconsoleError(
        'E_AUTH',
        `the session for ${session.cloud} is not scoped to a project, and Nova needs one`,
        {
          hint: 'run: osconsole login --os-project-name NAME',
        },
      );
    }
    const endpoint = findEndpoint(session.catalog, { type: 'compute', interface: iface, region });
    const tls = sessionTls(ctx, sel, session);
    if (tls.insecure) ctx.output.warn('TLS certificate verification is disabled (--insecure)');
    const http = await ctx.http(tls);
    return new ComputeSession(ctx, sel, session, http, endpoint, region, iface, await ctx.sessions());
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
    const raw = computeVersionOf(
      this.sel.flags.compute_api_version ??
        envValues(this.ctx.env).compute_api_version ??
        this.session.compute_api_version ??
        undefined,
    );
    return raw ? mustParse(raw, 'compute API version') : undefined;
  }

  /** The endpoint's microversion range: cached for 24 h in the session, else one GET of the version document. */
  async range(): Promise<VersionRange> {
    const cached = this.session.compute_versions?.[this.endpoint];
    if (cached && this.ctx.now() - Date.parse(cached.checked_at) < VERSION_CACHE_MS) {
      return { min: mustParse(cached.min, 'cached min version'), max: mustParse(cached.max, 'cached max version') };
    }
    const raw = await fetchVersionRange(this.http, this.endpoint, this.session.project?.id);
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
      this.ctx.output.debug(
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
    const entry = { min: raw.min, max: raw.max, checked_at: new Date(this.ctx.now()).toISOString() };
    this.session.compute_versions = { ...(this.session.compute_versions ?? {}), [this.endpoint]: entry };
    const store = await this.ctx.sessions();
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
    if (!this.warnedCap)
      this.ctx.output.warn(
        `the pinned compute API version ${format(v)} is above ${format(CLIENT_MAX)}, the newest console API osconsole knows; using ${format(CLIENT_MAX)}`,
      );
    this.warnedCap = true;
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
      this.ctx.output.debug('the compute API refused the cached token (401); logging in again');
      // Marked rejected, expires_at kept: status and logout then say what happened and when it would have expired.
      const rejectedAt = new Date(this.ctx.now()).toISOString();
      this.session.rejected_at = rejectedAt;
      const store = await this.ctx.sessions();
      await store.updateOptional((f) => {
        const s = f.sessions[this.session.cloud];
        if (s && s.token === this.session.token) s.rejected_at = rejectedAt;
      });
      this.session = await renewSession(this.ctx, this.sel, this.session.cloud, this.session);
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
    return `${this.iface} compute endpoint${this.region ? ` in ${this.region}` : ''} (${this.endpoint})`;
  }
}

/** Nova's own 401 (Zed's console-auth-tokens below 2.31) has an `unauthorized` fault body, not the middleware's. */
function isNovaOwn401(err: OsconsoleError): boolean {
  const body = err.http?.body;
  return typeof body === 'object' && body !== null && 'unauthorized' in body;
}

/** TLS for the session: flags/env may override what login stored (e.g. a new CA path). */
function sessionTls(ctx: Context, sel: Selection, s: StoredSession) {
  const env = envValues(ctx.env);
  const insecureRaw = sel.flags.insecure ?? env.insecure;
  const verify = insecureRaw !== undefined ? !truthy(insecureRaw) : s.tls.verify;
  const cwd = ctx.deps.cwd;
  return tlsOf({
    tls: {
      verify,
      cacert: absolute(sel.flags.cacert ?? env.cacert, cwd) ?? s.tls.cacert ?? undefined,
      cert: absolute(sel.flags.cert ?? env.cert, cwd) ?? s.tls.cert ?? undefined,
      key: absolute(sel.flags.key ?? env.key, cwd) ?? s.tls.key ?? undefined,
    },
  });
}
