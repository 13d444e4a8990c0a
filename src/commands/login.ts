/** `osconsole login`: authenticate against Keystone and cache the session. */
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { StoredSession } from '../config/session-store.js';
import type { Context } from '../context.js';
import { shortUtc, timeLeft } from '../output/time.js';
import { addCloudOptions, selectionOf } from './cloud-options.js';

export function register(program: Command, app: App): void {
  const cmd = program
    .command('login')
    .description('log in to Keystone and cache the token for the console commands')
    .option('--json', 'print the session summary as JSON on stdout');
  addCloudOptions(cmd, 'all');
  cmd.addHelpText(
    'after',
    `
Credentials come from flags, then OS_* variables (an openrc), then clouds.yaml
and secure.yaml (--os-cloud / OS_CLOUD). On a terminal, anything missing is
asked for, including a TOTP passcode when Keystone requires one and the project
when none is given; elsewhere a missing value is an error naming its flag.

Examples:
  $ osconsole login --os-cloud mycloud
  $ source demo-openrc.sh && osconsole login
  $ OS_PASSCODE=123456 osconsole login --os-cloud mfa-cloud --json | jq .expires_at`,
  );
  cmd.action(
    app.action(async (ctx: Context, opts: { json?: boolean }, command: Command) => {
      const { login } = await import('../core/login.js');
      const { session, warnings } = await login(ctx, selectionOf(command, ctx), await ctx.interaction());
      for (const w of warnings) ctx.output.warn(w);
      await report(ctx, session, opts.json === true);
    }),
  );
}

async function report(ctx: Context, s: StoredSession, json: boolean): Promise<void> {
  const { summarize } = await import('../core/sessions.js');
  if (json) ctx.output.json(summarize(s, true, ctx.now()));
  const scope = s.project
    ? `project ${s.project.name} (${s.project.domain.name})`
    : s.domain
      ? `domain ${s.domain.name}`
      : s.system
        ? 'system scope'
        : 'no project (unscoped)';
  const left = timeLeft(Date.parse(s.expires_at) - ctx.now());
  ctx.output.success(
    `Logged in to ${s.cloud} as ${s.user.name} (${s.user.domain.name}), ${scope}, region ${s.region_name ?? 'any'}; token expires ${shortUtc(s.expires_at)} (in ${left})`,
  );
}
