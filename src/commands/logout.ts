/** `osconsole logout`: revoke the cached token and forget the session. */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { StoredSession } from '../config/session-store.js';
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

Examples:
  $ osconsole logout
  $ osconsole logout --os-cloud mycloud
  $ osconsole logout --all`,
  );
  cmd.action(
    app.action(async (ctx: Context, opts: { all?: boolean }, command: Command) => {
      const sel = selectionOf(command, ctx);
      if (opts.all && sel.cloud) throw usageError('--all and --os-cloud cannot be combined');
      const { sessionName } = await import('../core/sessions.js');
      const store = await ctx.sessions();
      const file = store.read();
      const names = opts.all ? Object.keys(file.sessions) : [sessionName(ctx, sel, file)];
      if (names.length === 0 || (!opts.all && !file.sessions[names[0] as string])) {
        ctx.output.info(`Not logged in${opts.all ? '' : ` to ${names[0]}`}; nothing to do.`);
        return;
      }
      for (const name of names) {
        const session = file.sessions[name];
        if (session) await revoke(ctx, session);
      }
      await store.update((f) => {
        for (const name of names) delete f.sessions[name];
        if (f.current && !(f.current in f.sessions)) f.current = null;
      });
    }),
  );
}

async function revoke(ctx: Context, s: StoredSession): Promise<void> {
  const { revokeToken } = await import('../openstack/identity.js');
  const { tlsOf } = await import('../core/authenticate.js');
  const { OsconsoleError } = await import('../errors.js');
  try {
    const http = await ctx.http(tlsOf({ tls: { verify: s.tls.verify, cacert: s.tls.cacert ?? undefined, cert: s.tls.cert ?? undefined, key: s.tls.key ?? undefined } }));
    const outcome = await revokeToken(http, s.identity_url, s.token);
    ctx.output.success(`Logged out of ${s.cloud}${outcome === 'already-invalid' ? ' (the token was already invalid)' : '; the token is revoked'}`);
  } catch (err) {
    const why = err instanceof OsconsoleError ? err.message : String(err);
    ctx.output.warn(`could not revoke the token of ${s.cloud} (${why}); it stays valid until ${s.expires_at}`);
    ctx.output.success(`Logged out of ${s.cloud}`);
  }
}
