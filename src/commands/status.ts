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
        const { printStatus } = await import('../output/status-format.js');
        const file = (await ctx.sessions()).read();
        const sessions = Object.values(file.sessions)
          .sort((a, b) => a.cloud.localeCompare(b.cloud))
          .map((s) => summarize(s, s.cloud === file.current, ctx.now()));
        await printStatus(ctx.output, file.current, sessions, opts.json === true);
      }),
    );
}
