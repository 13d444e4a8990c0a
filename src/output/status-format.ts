/**
 * Output of `osconsole status`: {"current", "sessions"} as JSON, a table on a
 * terminal, one tab-separated line per session otherwise.
 */
import type { SessionSummary } from '../core/sessions.js';
import type { Output } from './output.js';
import { shortUtc, timeLeft } from './time.js';

function scope(s: SessionSummary): string {
  return s.project ? s.project.name : s.domain ? `domain ${s.domain.name}` : s.system ? 'system' : '-';
}

export async function printStatus(
  out: Output,
  current: string | null,
  sessions: SessionSummary[],
  json: boolean,
): Promise<void> {
  if (json) {
    out.json({ current, sessions });
    return;
  }
  if (sessions.length === 0) {
    out.info('No sessions; run: osconsole login');
    return;
  }
  if (!out.stdoutIsTTY) {
    for (const s of sessions) {
      out.result(
        [
          s.current ? '*' : '',
          s.cloud,
          s.user.name,
          scope(s),
          s.region_name ?? '',
          s.interface,
          s.expires_at,
          String(s.expires_in),
        ].join('\t'),
      );
    }
    return;
  }
  await out.table(
    ['', 'CLOUD', 'USER', 'PROJECT', 'ROLES', 'REGION', 'INTERFACE', 'AUTH URL', 'EXPIRES'],
    sessions.map((s) => [
      s.current ? '*' : '',
      s.cloud,
      `${s.user.name} (${s.user.domain.name})`,
      scope(s),
      s.roles.join(', '),
      s.region_name ?? 'any',
      s.interface,
      s.auth_url,
      expiry(s),
    ]),
  );
}

function expiry(s: SessionSummary): string {
  if (s.rejected) return `rejected by Keystone (expires ${shortUtc(s.expires_at)})`;
  return s.valid ? `${shortUtc(s.expires_at)} (in ${timeLeft(s.expires_in * 1000)})` : 'expired';
}
