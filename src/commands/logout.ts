/** `osconsole logout`: revoke the cached token and forget the session. */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { addCloudOptions, selectionOf } from './cloud-options.js';

export function register(program: Command, app: App): void {
  const cmd = program
    .command('logout')
    .description('revoke the cached token and remove the session')
    .addOption(new Option('--all', 'log out of every cached session'));
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
Without --os-cloud (or OS_CLOUD), logs out of the current session. A token that
is already invalid is simply removed; one that cannot be revoked (network
down) is removed too, with a warning that it stays valid until it expires.
With no current session there is nothing to do (exit 0); the clouds that still
have live sessions are named, with the command to log out of them.

Examples:
  $ osconsole logout
  $ osconsole logout --os-cloud mycloud
  $ osconsole logout --all`,
  );
  cmd.action(
    app.action(async (ctx: Context, opts: { all?: boolean }, command: Command) => {
      const sel = selectionOf(command, ctx);
      if (opts.all && sel.cloud) throw usageError('--all and --os-cloud cannot be combined');
      const { logout, sessionsToLogOut } = await import('../core/logout.js');
      const { names, sessions, others } = await sessionsToLogOut(ctx, sel, opts.all === true);
      if (others.length > 0) {
        ctx.output.info(`No current session; nothing to do. ${othersHint(others)}`);
        return;
      }
      if (sessions.length === 0) {
        ctx.output.info(`Not logged in${names[0] && !opts.all ? ` to ${names[0]}` : ''}; nothing to do.`);
        if (opts.all) await logout(ctx, [], true);
        return;
      }
      for (const o of await logout(ctx, sessions, opts.all === true)) {
        if (o.warning) ctx.output.warn(o.warning);
        const detail =
          o.revoked === 'revoked'
            ? '; the token is revoked'
            : o.revoked === 'already-invalid'
              ? ' (the token was already invalid)'
              : '';
        ctx.output.success(`Logged out of ${o.cloud}${detail}`);
      }
    }),
  );
}

/** `logout` with no current session names what is left instead of a bare "nothing to do". */
function othersHint(others: string[]): string {
  if (others.length === 1) return `A session for "${others[0]}" exists: osconsole logout --os-cloud ${others[0]}`;
  return `Sessions exist for ${others.map((n) => `"${n}"`).join(', ')}: osconsole logout --os-cloud NAME, or --all`;
}
