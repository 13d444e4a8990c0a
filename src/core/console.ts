/**
 * The console use cases: get a console URL for a server (every type, the
 * legacy actions on old clouds, `auto`), and inspect a console token.
 *
 * Round trips with a live cached session and a cached version range: by UUID
 * one request (the POST), by name two (the list, then the POST); spice-direct
 * adds the token lookup that returns its host and ports.
 *
 * Facts: docs/facts/nova.md#console-types (type/protocol pairs, floors, error
 * mapping), #legacy-console-actions (2.1–2.5), #console-auth-tokens (2.31, 2.99
 * tls_port), #token-ttl; openstacksdk compute/v2/_proxy.py create_console.
 */
import type { Selection } from '../config/resolve.js';
import { OsconsoleError, usageError } from '../errors.js';
import type { HttpErrorDetails } from '../errors.js';
import type { ConsoleConnection } from '../openstack/compute.js';
import type { ConsoleChoice, ConsoleType, ConsoleTypeInfo } from '../openstack/console-types.js';
import { AUTO_ORDER, CONSOLE_TYPES, DEAD_CONSOLE_TYPES, isDeadType } from '../openstack/console-types.js';
import { createRemoteConsole, getConsoleConnection, legacyConsole } from '../openstack/compute.js';
import { ComputeSession } from './compute-session.js';
import { extractConsoleToken } from './console-url.js';
import type { Version, VersionRange } from './microversion.js';
import { RangeRefusal, V, compare, describeFloor, describeRange, format, negotiate } from './microversion.js';
import type { ServerRef } from './servers.js';
import { checkServerArgument, resolveServer, serverLabel as label } from './servers.js';
import type { Interaction, Runtime } from './runtime.js';
import type { WaitProgress } from './wait.js';
import { waitUntilActive } from './wait.js';

interface TypeInfo extends Omit<ConsoleTypeInfo, 'floor'> {
  floor: Version;
}

/** The shared list (openstack/console-types.ts) with its floors parsed. */
export const TYPES = Object.fromEntries(
  Object.entries(CONSOLE_TYPES).map(([name, info]) => [name, { ...info, floor: V(info.floor) }]),
) as Record<ConsoleType, TypeInfo>;

const REMOTE_CONSOLES = V('2.6');
const LEGACY_MAX = V('2.5');
const TOKENS_FLOOR = V('2.31');
const TLS_PORT = V('2.99');

export interface ConsoleRequest {
  server: string;
  type: ConsoleChoice;
  protocol?: string;
  allProjects: boolean;
  /** --wait: a server that is not ready (409) is polled until ACTIVE for up to this long. */
  wait?: { timeoutMs: number; onProgress?: (p: WaitProgress) => void; signal?: AbortSignal };
}

export interface ConsoleResult {
  server: { id: string; name: string | null };
  protocol: string;
  type: ConsoleType;
  url: string;
  /** The microversion sent (for a legacy action too: the highest of 2.1–2.5 the cloud has, or the pin). */
  microversion: string;
  /** spice-direct: host and ports; null when policy hid them. */
  connection?: ConsoleConnection | null;
  serverStatus?: string;
  /** The compute endpoint used, for URL checks. */
  endpoint: string;
  /** For the person, in order; the URL stands. */
  warnings: string[];
}

/** Checks type and protocol before any request; exit 2 or 6. */
export function checkTypeArgs(type: ConsoleChoice, protocol: string | undefined): asserts type is ConsoleType | 'auto' {
  if (isDeadType(type))
    throw new OsconsoleError('E_UNSUPPORTED', DEAD_CONSOLE_TYPES[type], {
      hint: 'use --type novnc, spice-html5, serial, webmks or auto',
    });
  if (protocol !== undefined) {
    if (type === 'auto') throw usageError('--protocol cannot be combined with --type auto');
    const expected = TYPES[type].protocol;
    if (protocol !== expected)
      throw usageError(`--protocol ${protocol} does not match --type ${type} (its protocol is ${expected})`);
  }
}

export async function getConsole(
  rt: Runtime,
  sel: Selection,
  req: ConsoleRequest,
  talk: Interaction,
): Promise<ConsoleResult> {
  // Before the session is read or renewed: nothing is sent for arguments Nova cannot take.
  checkTypeArgs(req.type, req.protocol);
  checkServerArgument(req.server);
  const cs = await ComputeSession.open(rt, sel, talk.notify);
  const server = await withForbiddenHint(
    resolveServer(cs, req.server, req.allProjects, talk.prompter),
    req.allProjects,
  );
  const types = req.type === 'auto' ? AUTO_ORDER : [req.type];
  let lastSkip: OsconsoleError | undefined;
  for (const type of types) {
    try {
      const result = await waitingFor(cs, server, req.wait, () => consoleOnce(cs, server, type, req.type === 'auto'));
      if (type === 'spice-direct') result.connection = await connectionOf(cs, result.url);
      return { ...result, warnings: cs.warnings };
    } catch (err) {
      if (req.type === 'auto' && err instanceof OsconsoleError && err.code === 'E_UNSUPPORTED') {
        rt.debug(`auto: skipping ${type}: ${err.message}`);
        lastSkip = err;
        continue;
      }
      throw err;
    }
  }
  throw new OsconsoleError(
    'E_UNSUPPORTED',
    `server ${label(server)} offers none of ${AUTO_ORDER.join(', ')}${lastSkip ? ` (last: ${lastSkip.message})` : ''}`,
  );
}

/**
 * Runs `create`; with --wait, a server that is not ready yet (409: building,
 * no host) is polled until ACTIVE and `create` runs again.
 */
export async function waitingFor<T>(
  cs: ComputeSession,
  server: ServerRef,
  wait: ConsoleRequest['wait'],
  create: () => Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!wait || !(err instanceof OsconsoleError) || err.code !== 'E_CONFLICT') throw err;
    cs.rt.debug(`server not ready (${err.http?.message ?? err.message}); waiting until it is ACTIVE`);
    if (!(await waitUntilActive(cs, server, wait))) throw new WaitStopped();
    return create();
  }
}

/** A wait the caller ended (attach: the user quit while the server was building). */
export class WaitStopped extends Error {
  constructor() {
    super('the wait was stopped');
    this.name = 'WaitStopped';
  }
}

/** One type: plan the call from the cloud's range (and a pin) and make it. */
export async function consoleOnce(
  cs: ComputeSession,
  server: ServerRef,
  type: ConsoleType,
  auto: boolean,
): Promise<Omit<ConsoleResult, 'warnings'>> {
  const { protocol } = TYPES[type];
  try {
    return await cs.withRange(async (range) => {
      const plan = planConsole(cs, type, range, auto);
      const version = format(plan.version);
      const call = { endpoint: cs.endpoint, serverId: server.id, type, microversion: version };
      const out = await cs.withAuth((token) =>
        plan.legacy
          ? legacyConsole(cs.http, { ...call, token, action: plan.legacy }).then((c) => ({ ...c, protocol }))
          : createRemoteConsole(cs.http, { ...call, token, protocol }),
      );
      return {
        server: { id: server.id, name: server.name },
        protocol: out.protocol,
        type,
        url: out.url,
        microversion: version,
        serverStatus: server.status,
        endpoint: cs.endpoint,
      };
    });
  } catch (err) {
    throw explainConsoleError(err, server, type, cs);
  }
}

interface Plan {
  version: Version;
  legacy?: string;
}

/** remote-consoles at the highest common version ≥ the type's floor; the legacy action below 2.6. */
export function planConsole(
  cs: Pick<ComputeSession, 'pinned' | 'checkPinned'>,
  type: ConsoleType,
  range: VersionRange,
  auto = false,
): Plan {
  const info = TYPES[type];
  const asked = cs.pinned();
  if (asked) {
    const pinned = cs.checkPinned(asked, range);
    if (compare(pinned, info.floor) >= 0) return { version: pinned };
    if (compare(pinned, REMOTE_CONSOLES) < 0 && info.legacy) return { version: pinned, legacy: info.legacy };
    throw new OsconsoleError(
      'E_UNSUPPORTED',
      `${type} needs compute API ${describeFloor(info.floor)}; the version is pinned to ${format(pinned)}`,
      {
        hint: 'unset --os-compute-api-version / OS_COMPUTE_API_VERSION or raise it',
      },
    );
  }
  const v = negotiate(range, info.floor);
  if (v) return { version: v };
  if (info.legacy && compare(range.max, REMOTE_CONSOLES) < 0) {
    const top = compare(range.max, LEGACY_MAX) < 0 ? range.max : LEGACY_MAX;
    return { version: top, legacy: info.legacy };
  }
  throw new RangeRefusal(
    `${type} needs compute API ${describeFloor(info.floor)}; this cloud offers ${describeRange(range)}`,
    {
      hint: auto ? undefined : 'try --type auto',
    },
  );
}

/** Nova's 404 "Instance … could not be found" for a server action: by id, no lookup came before it. */
export function unknownServer(server: ServerRef, opts: { http?: HttpErrorDetails; cause?: unknown }): OsconsoleError {
  return new OsconsoleError('E_NOT_FOUND', `no server ${label(server)} visible to this session`, {
    ...opts,
    hint: 'check the id, the project (--os-project-name) and the region (--os-region-name)',
  });
}

/** Nova's answers, turned into the exit-status table with the next step named. */
export function explainConsoleError(
  err: unknown,
  server: ServerRef,
  type: ConsoleType,
  cs: Pick<ComputeSession, 'describe'>,
): unknown {
  if (!(err instanceof OsconsoleError) || !err.http) return err;
  const { status, message, requestId } = err.http;
  const rid = requestId ? ` (request id ${requestId})` : '';
  const info = TYPES[type];
  const opts = { http: err.http, cause: err };
  switch (status) {
    case 404:
      if (/^Instance .* could not be found/.test(message)) return unknownServer(server, opts);
      return new OsconsoleError(
        'E_NOT_FOUND',
        `the ${cs.describe()} has no console API at this microversion: ${message}${rid}`,
        opts,
      );
    case 409:
      return new OsconsoleError('E_CONFLICT', `server ${label(server)} is not ready for a console: ${message}${rid}`, {
        ...opts,
        hint: 'it has no host yet (still building, or shelved); try again when it is ACTIVE',
      });
    case 400:
      if (/^Unavailable console type/.test(message)) {
        return new OsconsoleError(
          'E_UNSUPPORTED',
          `${type} consoles are disabled on this cloud (${info.confSection} enabled = false)${rid}`,
          { ...opts, hint: 'try --type auto' },
        );
      }
      if (/^Invalid console type/.test(message)) {
        return new OsconsoleError('E_UNSUPPORTED', `this cloud does not accept ${type} consoles: ${message}${rid}`, {
          ...opts,
          hint: 'try --type auto',
        });
      }
      return new OsconsoleError('E_UNEXPECTED', `the compute API rejected the console request: ${message}${rid}`, opts);
    case 501:
      return new OsconsoleError(
        'E_UNSUPPORTED',
        `the hypervisor of server ${label(server)} has no ${type} console (501 Not Implemented)${rid}`,
        { ...opts, hint: 'try --type auto' },
      );
    case 403:
      return new OsconsoleError(
        'E_FORBIDDEN',
        `policy forbids you a console on server ${label(server)}: ${message}${rid}`,
        {
          ...opts,
          hint: 'os_compute_api:os-remote-consoles needs the member role in the project (a reader is not enough)',
        },
      );
    case 500:
      return new OsconsoleError(
        'E_UNEXPECTED',
        `the compute API failed creating the console (500): ${message.split('\n')[0]}${rid}`,
        {
          ...opts,
          hint: 'if the server is migrating or being deleted, wait and retry; otherwise give the request id to the operator',
        },
      );
    default:
      return err;
  }
}

async function withForbiddenHint<T>(p: Promise<T>, allProjects: boolean): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof OsconsoleError && err.code === 'E_FORBIDDEN' && allProjects) {
      throw new OsconsoleError(
        'E_FORBIDDEN',
        `listing every project's servers needs the admin role: ${err.http?.message ?? err.message}`,
        { cause: err, http: err.http },
      );
    }
    throw err;
  }
}

/**
 * The spice-direct tuple; null (with a warning in cs.warnings) when the lookup
 * fails: the console exists and its URL is the user's, so only a 404 of the
 * token (the console is gone already) or a Ctrl-C ends the command.
 */
/** What stands behind a console URL's token (host, port, tls_port): admins only. */
export function tokenConnection(cs: ComputeSession, url: string): Promise<ConsoleConnection> {
  return lookupToken(cs, extractConsoleToken(url), TLS_PORT);
}

async function connectionOf(cs: ComputeSession, url: string): Promise<ConsoleConnection | null> {
  try {
    return await lookupToken(cs, extractConsoleToken(url), TLS_PORT);
  } catch (err) {
    if (err instanceof OsconsoleError && err.code === 'E_FORBIDDEN') {
      cs.warnings.push(
        'the host and ports behind a spice-direct console are shown only to admins (policy os_compute_api:os-console-auth-tokens); printing the URL only',
      );
      return null;
    }
    if (err instanceof OsconsoleError && (err.code === 'E_NOT_FOUND' || err.code === 'E_CANCELLED')) throw err;
    const why = err instanceof Error ? err.message : String(err);
    cs.warnings.push(
      `could not look up the host and ports of the spice-direct console (${why}); printing the URL only`,
    );
    return null;
  }
}

/** GET /os-console-auth-tokens at the highest version ≥ 2.31 both sides support (up to 2.99 for tls_port). */
async function lookupToken(cs: ComputeSession, token: string, want: Version): Promise<ConsoleConnection> {
  try {
    return await cs.withRange(async (range) => {
      const asked = cs.pinned();
      const pinned = asked && cs.checkPinned(asked, range);
      const v = pinned
        ? compare(pinned, TOKENS_FLOOR) >= 0
          ? pinned
          : undefined
        : negotiate(range, TOKENS_FLOOR, want);
      if (!v && pinned)
        throw new OsconsoleError(
          'E_UNSUPPORTED',
          `console token inspection needs compute API ${describeFloor(TOKENS_FLOOR)}; the version is pinned to ${format(pinned)}`,
        );
      if (!v)
        throw new RangeRefusal(
          `console token inspection needs compute API ${describeFloor(TOKENS_FLOOR)}; this cloud offers ${describeRange(range)}`,
        );
      return cs.withAuth((t) =>
        getConsoleConnection(cs.http, {
          endpoint: cs.endpoint,
          token: t,
          consoleToken: token,
          microversion: format(v),
        }),
      );
    });
  } catch (err) {
    throw explainTokenError(err);
  }
}

function explainTokenError(err: unknown): unknown {
  if (!(err instanceof OsconsoleError) || !err.http) return err;
  const { status, message } = err.http;
  const opts = { http: err.http, cause: err };
  if (status === 403) {
    return new OsconsoleError(
      'E_FORBIDDEN',
      `only admins may inspect console tokens (policy os_compute_api:os-console-auth-tokens defaults to the admin role): ${message}`,
      opts,
    );
  }
  if (status === 404) {
    return new OsconsoleError('E_NOT_FOUND', `the console token is unknown or has expired: ${message}`, {
      ...opts,
      hint: 'console tokens live 600 s by default ([consoleauth] token_ttl) and die with the server',
    });
  }
  if (status === 401 || status === 400) {
    return new OsconsoleError(
      'E_UNSUPPORTED',
      `the compute API will not describe this token at this microversion: ${message}`,
      opts,
    );
  }
  return err;
}

/** `console inspect`: the token from any console URL (exit 2 before any request if malformed), then one lookup. */
export async function inspectConsole(
  rt: Runtime,
  sel: Selection,
  tokenOrUrl: string,
  notify: Interaction['notify'],
): Promise<{ connection: ConsoleConnection; warnings: string[] }> {
  const token = extractConsoleToken(tokenOrUrl);
  const cs = await ComputeSession.open(rt, sel, notify);
  const connection = await lookupToken(cs, token, TLS_PORT);
  return { connection, warnings: cs.warnings };
}
