/**
 * Resolving the server a user names. A UUID is used as is (no request). A name
 * becomes one list request with an anchored, escaped regular expression
 * (Nova's `name` filter is an unanchored regex: `web-1` would match `web-10`,
 * and `db(1).x` would not even match itself), then an exact comparison,
 * because some databases match case-insensitively.
 */
import { OsconsoleError } from '../errors.js';
import type { ServerSummary } from '../openstack/compute.js';
import { listServers } from '../openstack/compute.js';
import { hasControl, quoted } from '../text.js';
import type { Prompter } from '../ui/prompt.js';
import type { ComputeSession } from './compute-session.js';
import { rememberServers } from './server-cache.js';

export interface ServerRef {
  id: string;
  /** null when the user gave a UUID (finding the name would cost a request). */
  name: string | null;
  status?: string;
}

/** `"web-1" (9c2a…)` in messages, or the id alone when the name is not known (given by id). */
export function serverLabel(s: ServerRef, name: string | null = s.name): string {
  return name ? `"${name}" (${s.id})` : s.id;
}

/** Exit 4 for a server that went away while osconsole was using it (waiting, attached, reconnecting). */
export function serverGone(s: ServerRef, cause: unknown): OsconsoleError {
  return new OsconsoleError('E_NOT_FOUND', `server ${serverLabel(s)} is gone (deleted)`, { cause });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/**
 * Escapes the characters that are special in the regex dialects Nova's
 * databases use (Python re for SQLite, MySQL/ICU, PostgreSQL AREs): escaping
 * other punctuation is harmless in all of them, escaping letters is not.
 */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** `^<escaped>$`: matches exactly the name. */
export function exactNamePattern(name: string): string {
  return `^${escapeRegex(name)}$`;
}

/** Nova api-ref: a server name has at most 255 characters (a UUID has 36). */
export const MAX_SERVER_NAME = 255;

/**
 * Refuses, before any request (and before logging in), a server argument no
 * Nova server can have: too long, or with control characters (Nova's name
 * schema, parameter_types.py, admits printable characters only; argv cannot
 * carry NUL, but an in-process caller can).
 */
export function checkServerArgument(ref: string): void {
  if (ref.length > MAX_SERVER_NAME) {
    throw new OsconsoleError(
      'E_USAGE',
      `the server argument ${quoted(ref)} is ${ref.length} characters; Nova server names have at most ${MAX_SERVER_NAME}`,
    );
  }
  if (hasControl(ref)) {
    throw new OsconsoleError(
      'E_USAGE',
      `the server argument ${quoted(ref)} contains a control character, which no Nova server name has`,
    );
  }
}

/** `ref` has passed checkServerArgument. With a prompter, a person picks among servers of the same name. */
export async function resolveServer(
  cs: ComputeSession,
  ref: string,
  allProjects: boolean,
  prompter: Prompter | undefined,
): Promise<ServerRef> {
  if (isUuid(ref)) return { id: ref.toLowerCase(), name: null };
  if (ref.trim() === '') throw new OsconsoleError('E_USAGE', 'the server name is empty');
  const found = await cs.withAuth((token) =>
    listServers(cs.http, { endpoint: cs.endpoint, token, name: exactNamePattern(ref), allProjects }),
  );
  remember(cs, found);
  const exact = found.filter((s) => s.name === ref);
  if (exact.length === 1) return pick(exact[0] as ServerSummary);
  if (exact.length === 0) throw await notFound(cs, ref, allProjects, found);
  if (!prompter) {
    const list = exact.map((s) => `${s.id} (${s.status}, created ${s.created})`).join(', ');
    throw new OsconsoleError('E_USAGE', `${exact.length} servers are named ${quoted(ref, 80)}: ${list}`, {
      hint: 'pass the id of the one you mean',
    });
  }
  const chosen = await prompter.select(
    `${exact.length} servers are named ${quoted(ref, 80)}; which one?`,
    exact.map((s) => ({ name: `${s.name}  ${s.id}  ${s.status}  created ${s.created}`, value: s })),
  );
  return pick(chosen);
}

/** Feeds shell completion of server names (a local file; see server-cache.ts). */
function remember(cs: ComputeSession, servers: ServerSummary[]): void {
  rememberServers({ ...cs.rt.deps, now: () => cs.rt.now() }, cs.session.cloud, servers, cs.cacheWriteRefused);
}

function pick(s: ServerSummary): ServerRef {
  return { id: s.id, name: s.name, status: s.status };
}

/**
 * Exit 4, suggesting close names. `sameButCase` is what the exact pattern
 * listed: MySQL-backed Nova (most clouds) matches names case-insensitively,
 * so those are the suggestions, at no cost. Else one more request (one page
 * of the project's servers), on this failure path only; not with
 * --all-projects: a page of every project's servers is an arbitrary sample of
 * a large cloud, so it costs a big request for suggestions that mean little.
 */
async function notFound(
  cs: ComputeSession,
  ref: string,
  allProjects: boolean,
  sameButCase: ServerSummary[],
): Promise<OsconsoleError> {
  let suggestions = closeNames(ref, [...new Set(sameButCase.map((s) => s.name))]);
  if (suggestions.length === 0 && !allProjects) {
    try {
      // One page (up to Nova's max_limit, 1000 by default) is plenty to suggest from.
      const all = await cs.withAuth((token) => listServers(cs.http, { endpoint: cs.endpoint, token, maxPages: 1 }));
      remember(cs, all);
      suggestions = closeNames(ref, [...new Set(all.map((s) => s.name))]);
    } catch {
      // Suggestions are a courtesy; the not-found error stands on its own.
    }
  }
  const where = allProjects ? 'in any project' : `in project ${cs.session.project?.name ?? '?'}`;
  return new OsconsoleError(
    'E_NOT_FOUND',
    `no server named ${quoted(ref, 80)} ${where}${suggestions.length ? `; did you mean ${suggestions.map((s) => quoted(s, 80)).join(', ')}?` : ''}`,
    {
      hint: allProjects ? undefined : 'admins can search every project with --all-projects',
    },
  );
}

/** Names within a small edit distance, or differing only in case, or containing the query. */
export function closeNames(query: string, names: string[], max = 5): string[] {
  const q = query.toLowerCase();
  const scored = names
    .map((n) => {
      const l = n.toLowerCase();
      const d = l === q ? 0 : l.includes(q) || q.includes(l) ? 1 : editDistance(q, l);
      return { n, d };
    })
    .filter(({ d }) => d <= Math.max(2, Math.floor(query.length / 4)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, max).map((s) => s.n);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}
