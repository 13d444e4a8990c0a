/** `osconsole console log <server>`: the console output, followed, waited on. */
import { Argument, InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import { formatDuration, parseDuration } from '../cli/duration.js';
import type { Context } from '../context.js';
import { OsconsoleError, usageError } from '../errors.js';
import { addCloudOptions, selectionOf } from './cloud-options.js';
import { waitFor, waitOption } from './wait-option.js';

interface LogOptions {
  lines?: number;
  follow?: boolean;
  interval: number;
  until?: RegExp;
  for?: number;
  wait?: number;
  raw?: boolean;
  json?: boolean;
  allProjects?: boolean;
}

/** --interval's default: openstacksdk's and gophercloud's poll interval. */
const DEFAULT_INTERVAL = '2s';

export function registerLog(group: Command, app: App): void {
  const cmd = group
    .command('log')
    .description("print a server's console log; follow it, or wait for a line")
    .addArgument(new Argument('<server>', 'server name or id'))
    .addOption(
      new Option('-n, --lines <n>', 'only the last N lines (then, with --follow, what comes)').argParser(parseLines),
    )
    .option('-f, --follow', 'keep printing lines as they come (Ctrl-C ends it)')
    .addOption(
      new Option('--interval <duration>', 'time between polls while following; it grows while the log is quiet')
        .argParser((raw: string) => parseDuration(raw, '--interval'))
        .default(parseDuration(DEFAULT_INTERVAL, '--interval'), DEFAULT_INTERVAL),
    )
    .addOption(
      new Option(
        '--until <regex>',
        'stop with exit 0 at the first line that matches (a JavaScript regular expression)',
      ).argParser(parseRegex),
    )
    .addOption(
      new Option(
        '--for <duration>',
        'follow for at most DURATION; with --until, the longest wait (then exit 124)',
      ).argParser((raw: string) => parseDuration(raw, '--for')),
    )
    .addOption(waitOption())
    .option('--raw', 'keep the "[0;32m" debris Nova leaves of colour and cursor escapes')
    .option('--json', 'print {"server", "lines", "truncated"}; with --follow, one {"line"} object per line')
    .option('--all-projects', 'look the name up in every project (admins)');
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
Nova has no offset for console logs: --follow fetches the end of the log
every --interval (longer while nothing changes) and prints only what is new,
a line still being written (a "login: " prompt) as far as it goes. Nova keeps
the last 100 KiB of a libvirt console log, decoded as ASCII, with control
characters removed. --until checks every line printed, the first ones too;
without --follow it waits quietly and then prints the log through that line.
When --for runs out first, the exit status is 124, as timeout(1)'s.

Examples:
  $ osconsole console log web-1 -n 20
  $ osconsole console log web-1 --follow
  $ osconsole console log new-vm --wait --until 'login:' --for 10m
  $ osconsole console log web-1 --json | jq -r '.lines[]'`,
  );
  cmd.action(
    app.action(async (ctx: Context, server: string, opts: LogOptions, command: Command) => {
      if (opts.for !== undefined && !opts.follow && !opts.until)
        throw usageError('--for bounds --follow or --until; without them the log is printed once');
      const { consoleLog } = await import('../core/console-log.js');
      const { LogPrinter } = await import('../output/log-format.js');
      const { showWait } = await import('../output/wait-format.js');
      const { watchSignals } = await import('../ui/signals.js');
      const { serverLabel } = await import('../core/servers.js');
      const mode = opts.json ? (opts.follow ? 'jsonl' : 'json') : 'text';
      const printer = new LogPrinter(ctx.output, mode, opts.until !== undefined && !opts.follow);
      const signals = watchSignals(ctx.deps);
      const abort = new AbortController();
      let signal: string | undefined;
      void signals.stopped.then((s) => {
        signal = s;
        abort.abort();
      });
      try {
        const req = {
          server,
          allProjects: opts.allProjects === true,
          lines: opts.lines,
          follow: opts.follow === true,
          intervalMs: opts.interval,
          until: opts.until,
          forMs: opts.for,
          raw: opts.raw === true,
          signal: abort.signal,
          wait: waitFor(opts.wait, (p) => showWait(ctx.output, p)),
        };
        if (opts.until && !opts.follow && ctx.output.stderrIsTTY)
          ctx.output.status(`waiting for a line that matches /${opts.until.source}/…`, 'until');
        const outcome = await consoleLog(ctx, selectionOf(command, ctx), req, await ctx.interaction(), (e) => {
          ctx.output.clearStatus();
          printer.event(e);
        }).finally(() => ctx.output.clearStatus());
        printer.finish(outcome, opts.until);
        ctx.debug(`console log: ${outcome.requests} requests, ended: ${outcome.end}`);
        if (outcome.end === 'stopped' && opts.until)
          throw new OsconsoleError(
            signal === 'SIGINT' ? 'E_CANCELLED' : 'E_TERMINATED',
            `stopped by ${signal ?? 'a signal'} before a line matched /${opts.until.source}/`,
          );
        if (outcome.end === 'timeout' && opts.until)
          throw new OsconsoleError(
            'E_TIMED_OUT',
            `no line of the console log of ${serverLabel(outcome.server)} matched /${opts.until.source}/ within ${formatDuration(opts.for ?? 0)}`,
            { hint: 'wait longer with --for (e.g. --for 30m)' },
          );
      } finally {
        signals.dispose();
      }
    }),
  );
}

function parseLines(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new InvalidArgumentError('a whole number of lines, 0 or more');
  return Number(raw.trim());
}

function parseRegex(raw: string): RegExp {
  try {
    return new RegExp(raw);
  } catch (err) {
    throw new InvalidArgumentError(`not a regular expression: ${(err as Error).message}`);
  }
}
