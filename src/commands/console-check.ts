/** `osconsole console check <server|url>`: probe a console step by step and say why it fails. */
import { Argument, Option } from 'commander';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../context.js';
import type { CheckChoice } from '../core/check.js';
import { OsconsoleError } from '../errors.js';
import { addCloudOptions, selectionOf } from './cloud-options.js';

const TYPE_CHOICES: CheckChoice[] = ['auto', 'novnc', 'spice-html5', 'spice-direct', 'serial'];

interface CheckOptions {
  type?: CheckChoice;
  json?: boolean;
  allProjects?: boolean;
}

export function registerCheck(group: Command, app: App): void {
  const cmd = group
    .command('check')
    .description('probe a console end to end (page, websocket, protocol banner, token) and explain failures')
    .addArgument(new Argument('<server|url>', 'a server name or id (a fresh console is made), or a console URL'))
    .addOption(
      new Option(
        '-t, --type <type>',
        'console type: for a server, the console to make (default novnc; auto: the first the cloud offers); for a URL, overrides what the URL says',
      ).choices(TYPE_CHOICES),
    )
    .option('--json', 'print {"target", "type", "ok", "steps": [{"name", "ok", "detail", "cause", "hint"}]} on stdout')
    .option('--all-projects', 'look the name up in every project (admins)');
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
Steps, each passed (✓) or failed (✗, with the likely cause): the page
answers; the websocket upgrades (101, subprotocol binary); the protocol
answers (VNC: the RFB banner, security type None and the desktop; SPICE:
the "REDQ" link reply; serial: the stream stays open or answers a "\\r";
spice-direct: the .vv file, then its host and port); a browser's Origin is
accepted; and, for admins, the token is valid and its host is not a
loopback or link-local address while the API is remote. Off a terminal,
each step is a "step<TAB>ok|fail<TAB>detail" line. Exit 0 when every step
passed, else the exit status of the first failure (7: the proxy or the
network). No credentials go to the console proxy, and no token is printed.

Examples:
  $ osconsole console check web-1
  $ osconsole console check web-1 --type spice-direct
  $ osconsole console check web-1 --type serial --json
  $ osconsole console check 'https://cloud:6080/vnc_lite.html?path=%3Ftoken%3D9a4f...'`,
  );
  cmd.action(
    app.action(async (ctx: Context, target: string, opts: CheckOptions, command: Command) => {
      const { checkConsole } = await import('../core/check.js');
      const { checkHeading, printCheck } = await import('../output/check-format.js');
      if (ctx.output.stderrIsTTY) ctx.output.status('checking the console…', 'check');
      const report = await checkConsole(
        ctx,
        selectionOf(command, ctx),
        { target, type: opts.type, allProjects: opts.allProjects === true },
        await ctx.interaction(),
      ).finally(() => ctx.output.clearStatus());
      for (const n of report.notes) ctx.output.note(n);
      if (ctx.output.stderrIsTTY) ctx.output.note(checkHeading(report));
      printCheck(ctx.output, report, opts.json === true);
      const first = report.steps.find((s) => !s.ok);
      if (!first) return;
      // On a terminal the cause and hint are on screen already.
      const full = !ctx.output.stdoutIsTTY || opts.json === true;
      throw new OsconsoleError(
        first.code ?? 'E_NETWORK',
        `console check failed at the ${first.name} step${full && first.cause ? `: ${first.cause}` : ''}`,
        { hint: full ? first.hint : undefined },
      );
    }),
  );
}
