/** `osconsole status`: the cached sessions, the current one marked. */
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../context.js';

export function register(program: Command, app: App): void {
  program
    .command('status')
    .description('show the cached sessions and when their tokens expire')
    .option('--json', 'print {"current", "sessions": [...]} on stdout')
    .addHelpText(
      'after',
      `
Off a terminal, prints one tab-separated line per session:
  current(*) cloud user project region interface expires_at seconds_left

Examples:
  $ osconsole status
  $ osconsole status --json | jq -r '.sessions[] | select(.valid) | .cloud'`,
    )
    .action(
      app.action(async (ctx: Context, opts: { json?: boolean }) => {
        const { summarize } = await import('../core/sessions.js');
        const { shortUtc, timeLeft } = await import('../output/time.js');
        const file = (await ctx.sessions()).read();
        const now = ctx.now();
        const sessions = Object.values(file.sessions)
          .sort((a, b) => a.cloud.localeCompare(b.cloud))
          .map((s) => summarize(s, s.cloud === file.current, now));
        if (opts.json) {
          ctx.output.json({ current: file.current, sessions });
          return;
        }
        if (sessions.length === 0) {
          ctx.output.info('No sessions; run: osconsole login');
          return;
        }
        const scope = (s: (typeof sessions)[number]) => (s.project ? s.project.name : s.domain ? `domain ${s.domain.name}` : s.system ? 'system' : '-');
        if (!ctx.output.stdoutIsTTY) {
          for (const s of sessions) {
            ctx.output.result(
              [s.current ? '*' : '', s.cloud, s.user.name, scope(s), s.region_name ?? '', s.interface, s.expires_at, String(s.expires_in)].join('\t'),
            );
          }
          return;
        }
        await ctx.output.table(
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
            s.valid ? `${shortUtc(s.expires_at)} (in ${timeLeft(s.expires_in * 1000)})` : 'expired',
          ]),
        );
      }),
    );
}
