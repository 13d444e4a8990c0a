/**
 * `console log`: a server's console output (os-getConsoleOutput), once, or
 * followed by polling (log-lines.ts finds what is new), until a line matches.
 * The core hands lines to the caller as events and returns how it ended; it
 * prints nothing.
 */
import type { Selection } from '../config/resolve.js';
import { OsconsoleError } from '../errors.js';
import { getConsoleOutput } from '../openstack/compute.js';
import { ComputeSession } from './compute-session.js';
import { unknownServer, waitingFor } from './console.js';
import type { Fetch } from './log-lines.js';
import { LogTracker, lastLines, maybeCut, removeDebris } from './log-lines.js';
import type { Interaction, Runtime } from './runtime.js';
import type { ServerRef } from './servers.js';
import { checkServerArgument, resolveServer, serverLabel } from './servers.js';
import type { WaitProgress } from './wait.js';

export interface LogRequest {
  server: string;
  allProjects: boolean;
  /** --lines: the last N lines first (undefined: all of them). */
  lines?: number;
  follow: boolean;
  /** --interval: the first wait between polls; it grows while the log is quiet. */
  intervalMs: number;
  until?: RegExp;
  /** --for: how long to follow or wait for `until`. */
  forMs?: number;
  /** Keep the "[0;32m" debris Nova leaves of escape sequences. */
  raw: boolean;
  wait?: { timeoutMs: number; onProgress?: (p: WaitProgress) => void };
  /** Ends a follow early (a signal). */
  signal?: AbortSignal;
}

export type LogEvent =
  /** A complete line (it may finish a partial line given before). */
  | { kind: 'line'; text: string }
  /** The line still being written, as far as it goes (a "login: " prompt). */
  | { kind: 'partial'; text: string }
  /** Lines may be missing: the log started again, or grew by more than Nova keeps between two polls. */
  | { kind: 'gap'; reason: 'restarted' | 'outran' };

export interface LogOutcome {
  server: ServerRef;
  /** How it ended: the log was printed (no --follow, no --until), a line matched, --for ran out, a signal. */
  end: 'printed' | 'matched' | 'timeout' | 'stopped';
  /** The first fetch left lines out (--lines, or libvirt's 100 KiB cut). */
  truncated: boolean;
  /** Requests to os-getConsoleOutput. */
  requests: number;
  matched?: string;
  /** The match is the line still being written (a prompt). */
  matchedPartial?: boolean;
}

/** The first poll window, and the most a window grows to before fetching everything. */
const FIRST_WINDOW = 50;
const MAX_WINDOW = 4000;
/** Lines the first fetch of a follow takes in, shown or not. */
const FIRST_CONTEXT = 200;
/** While nothing changes the wait grows by half, up to 8 intervals or 15 s (whichever is less, at least one interval). */
const BACKOFF = 1.5;

export async function consoleLog(
  rt: Runtime,
  sel: Selection,
  req: LogRequest,
  talk: Interaction,
  emit: (e: LogEvent) => void,
): Promise<LogOutcome> {
  checkServerArgument(req.server);
  const cs = await ComputeSession.open(rt, sel, talk.notify);
  const server = await resolveServer(cs, req.server, req.allProjects, talk.prompter);
  let requests = 0;
  const fetchLog = async (length?: number): Promise<Fetch> => {
    requests++;
    const output = await cs
      .withAuth((token) => getConsoleOutput(cs.http, { endpoint: cs.endpoint, token, serverId: server.id, length }))
      .catch((err: unknown) => {
        throw explainLogError(err, server);
      });
    rt.debug(`console log: ${length === undefined ? 'all' : `length ${length}`} → ${output.length} characters`);
    return { output, length };
  };
  const started = rt.now();
  const tidy = (line: string) => (req.raw ? line : removeDebris(line));
  const matches = (line: string) => req.until?.test(tidy(line)) === true;
  const done = (end: LogOutcome['end'], truncated: boolean, matched?: string, partial = false): LogOutcome => ({
    server,
    end,
    truncated,
    requests,
    ...(matched === undefined ? {} : { matched: tidy(matched), matchedPartial: partial }),
  });
  /** Emits the line being written when it is new or grew; true when it matches. */
  const emitPartial = (text: string): boolean => {
    emit({ kind: 'partial', text: tidy(text) });
    return matches(text);
  };

  // The first fetch: everything, or for --lines N two elements more (to know whether there are more);
  // when following, at least FIRST_CONTEXT, so that later windows have enough seen lines to match.
  const length = req.lines === undefined ? undefined : req.lines + 2;
  const first = await waitingFor(cs, server, req.wait, () =>
    fetchLog(length === undefined || !(req.follow || req.until) ? length : Math.max(length, FIRST_CONTEXT)),
  );
  const shown = req.lines === undefined ? undefined : lastLines(first.output, req.lines);
  const truncated = shown ? shown.more : maybeCut(first.output);
  const tracker = new LogTracker();
  const { complete, partial } = tracker.start(first);
  // --lines counts the unfinished line as one: shown when it is among the last N.
  const showPartial = partial !== '' && (!shown || shown.lines.length > 0);
  const firstLines = shown ? shown.lines.slice(0, showPartial ? -1 : undefined) : complete;
  const matched = emitLines(firstLines, tidy, matches, emit);
  if (matched !== undefined) return done('matched', truncated, matched);
  if (showPartial && emitPartial(partial)) return done('matched', truncated, partial, true);
  if (!req.follow && !req.until) return done('printed', truncated);

  let before = partial;
  let window = FIRST_WINDOW;
  let interval = req.intervalMs;
  const deadline = req.forMs === undefined ? undefined : started + req.forMs;
  const ceiling = Math.max(req.intervalMs, Math.min(8 * req.intervalMs, 15_000));
  for (;;) {
    const left = deadline === undefined ? interval : Math.min(interval, deadline - rt.now());
    if (left <= 0) return done('timeout', truncated);
    await rt.sleep(left, req.signal);
    if (req.signal?.aborted) return done('stopped', truncated);
    let step = tracker.next(await fetchLog(window));
    for (let w = window * 4; step.kind === 'widen'; w *= 4)
      step = tracker.next(await fetchLog(w > MAX_WINDOW ? undefined : w));
    if (step.kind === 'gap') emit({ kind: 'gap', reason: step.reason });
    const { lines, partial: now } = step;
    const hit = emitLines(lines, tidy, matches, emit);
    if (hit !== undefined) return done('matched', truncated, hit);
    if (now !== '' && (now !== before || lines.length > 0) && emitPartial(now))
      return done('matched', truncated, now, true);
    const changed = lines.length > 0 || now !== before;
    before = now;
    window = Math.min(MAX_WINDOW, Math.max(FIRST_WINDOW, 2 * lines.length + 20));
    interval = changed ? req.intervalMs : Math.min(ceiling, Math.round(interval * BACKOFF));
    if (deadline !== undefined && rt.now() >= deadline) return done('timeout', truncated);
  }
}

/** Emits lines up to the first that matches; returns that one, if one does. */
function emitLines(
  lines: string[],
  tidy: (l: string) => string,
  matches: (l: string) => boolean,
  emit: (e: LogEvent) => void,
): string | undefined {
  for (const line of lines) {
    emit({ kind: 'line', text: tidy(line) });
    if (matches(line)) return line;
  }
  return undefined;
}

/** Nova's answers for this action (api/openstack/compute/console_output.py), as exit statuses with the next step. */
function explainLogError(err: unknown, server: ServerRef): unknown {
  if (!(err instanceof OsconsoleError) || !err.http) return err;
  const { status, message, requestId } = err.http;
  const rid = requestId ? ` (request id ${requestId})` : '';
  const opts = { http: err.http, cause: err };
  const label = serverLabel(server);
  switch (status) {
    case 404:
      if (/^Instance .* could not be found/.test(message)) return unknownServer(server, opts);
      return new OsconsoleError('E_NOT_FOUND', `server ${label} has no console log (yet): ${message}${rid}`, opts);
    case 409:
      return new OsconsoleError('E_CONFLICT', `server ${label} has no console log yet: ${message}${rid}`, {
        ...opts,
        hint: 'it has no host yet (still building, or shelved); --wait waits until it is ACTIVE',
      });
    case 501:
      return new OsconsoleError(
        'E_UNSUPPORTED',
        `the hypervisor of server ${label} does not keep a console log (501 Not Implemented)${rid}`,
        opts,
      );
    case 403:
      return new OsconsoleError(
        'E_FORBIDDEN',
        `policy forbids you the console log of server ${label}: ${message}${rid}`,
        {
          ...opts,
          hint: 'os_compute_api:os-console-output needs the member role in the project (a reader is not enough)',
        },
      );
    default:
      return err;
  }
}
