/** `osconsole console get|inspect`: console URLs and what stands behind their tokens. */
import { Argument, InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../context.js';
import type { ConsoleResult } from '../core/console.js';
import type { Output } from '../output/output.js';
import type { ConsoleChoice } from '../openstack/console-types.js';
import {
  AUTO_ORDER,
  CONSOLE_CHOICES,
  CONSOLE_TYPES,
  DEAD_CONSOLE_TYPES,
  PROTOCOL_CHOICES,
} from '../openstack/console-types.js';
import { addCloudOptions, selectionOf } from './cloud-options.js';
import { parseDuration } from '../cli/duration.js';
import type { ViewOptions } from './console-view.js';
import { OsconsoleError } from '../errors.js';
import { registerCheck } from './console-check.js';
import { registerLog } from './console-log.js';
import { waitFor, waitOption } from './wait-option.js';

export function register(program: Command, app: App): void {
  const group = program
    .command('console')
    .description('console URLs, the serial console, native viewers and tunnels, console tokens');
  registerGet(group, app);
  registerAttach(group, app);
  registerView(group, app);
  registerTunnel(group, app);
  registerLog(group, app);
  registerInspect(group, app);
  registerCheck(group, app);
}

function registerGet(group: Command, app: App): void {
  const cmd = group
    .command('get')
    .description('create a remote console for a server and print its URL')
    .addArgument(new Argument('<server>', 'server name or id'))
    .addOption(
      new Option('-t, --type <type>', `console type; auto tries ${AUTO_ORDER.join(', ')} in turn`)
        .choices(CONSOLE_CHOICES)
        .default('novnc'),
    )
    .addOption(
      new Option('--protocol <protocol>', 'console protocol; follows from --type, must match if given').choices(
        PROTOCOL_CHOICES,
      ),
    )
    .option('--all-projects', 'look the name up in every project (admins)')
    .option('--open', 'open the URL in the default browser too (not for serial websockets)')
    .option('--json', 'print {"server", "protocol", "type", "url", "microversion"[, "connection"]} on stdout')
    .addOption(waitOption());
  addCloudOptions(cmd, 'session');
  app.adviseUnknownOptions(cmd, async (flag) => {
    const type = typeForOscFlag(flag);
    return type ? `use --type ${type}` : undefined;
  });
  cmd.addHelpText(
    'after',
    `
stdout gets the URL and a newline, so $(osconsole console get vm) works. For
spice-direct it also gets the connection behind the token: a table on a
terminal, otherwise a second line "host<TAB>port<TAB>tls_port". Console URLs
stop working after about 10 minutes ([consoleauth] token_ttl).

Examples:
  $ osconsole console get web-1
  $ osconsole console get web-1 --type serial --json | jq -r .url
  $ osconsole console get 9c2ad835-22d7-4196-9b2a-200f82c4d813 --open
  $ osconsole console get web-1 --type spice-direct --os-cloud admin`,
  );
  cmd.action(
    app.action(async (ctx: Context, server: string, opts: GetOptions, command: Command) => {
      const { getConsole } = await import('../core/console.js');
      const { printConsole } = await import('../output/console-format.js');
      const { showWait } = await import('../output/wait-format.js');
      const req = {
        server,
        type: opts.type,
        protocol: opts.protocol,
        allProjects: opts.allProjects === true,
        wait: waitFor(opts.wait, (p) => showWait(ctx.output, p)),
      };
      const result = await getConsole(ctx, selectionOf(command, ctx), req, await ctx.interaction()).finally(() =>
        ctx.output.clearStatus(),
      );
      for (const w of result.warnings) ctx.output.warn(w);
      await warnAboutUrl(ctx.output, result, opts.open === true);
      await printConsole(ctx.output, result, opts.json === true);
      if (opts.open) {
        const { openConsole } = await import('../ui/browser.js');
        await openConsole(ctx.deps, ctx.output, result);
      }
    }),
  );
}

/** A console URL the user cannot open gets a warning (on stderr, before the result). */
async function warnAboutUrl(out: Output, r: ConsoleResult, open: boolean): Promise<void> {
  const { consoleUrlWarnings } = await import('../core/console-url.js');
  const person = out.stderrIsTTY || open;
  for (const w of consoleUrlWarnings(r.url, r.endpoint)) if (person || !w.forPerson) out.warn(w.text);
}

/**
 * `openstack console url show` takes the type as a flag (openstackclient
 * compute/v2/console.py: --novnc, --xvpvnc, --spice = spice-html5, --rdp =
 * rdp-html5, --serial, --mks = webmks, --spice-direct): the flag is a type's
 * name, its name without "-html5", or the protocol of a single live type.
 */
export function typeForOscFlag(flag: string): string | undefined {
  const word = flag.replace(/^--/, '');
  const names = [...Object.keys(CONSOLE_TYPES), ...Object.keys(DEAD_CONSOLE_TYPES)];
  const byProtocol = Object.entries(CONSOLE_TYPES).filter(([, t]) => t.protocol === word);
  return (
    names.find((n) => n === word) ??
    names.find((n) => n === `${word}-html5`) ??
    (byProtocol.length === 1 ? byProtocol[0]?.[0] : undefined)
  );
}

interface GetOptions {
  /** commander has checked it against CONSOLE_CHOICES. */
  type: ConsoleChoice;
  protocol?: string;
  allProjects?: boolean;
  open?: boolean;
  json?: boolean;
  /** --wait, in ms. */
  wait?: number;
}

interface AttachOptions {
  escape: string;
  log?: string;
  for?: number;
  reconnect: boolean;
  wait?: number;
  allProjects?: boolean;
}

function registerAttach(group: Command, app: App): void {
  const cmd = group
    .command('attach')
    .description("connect this terminal to a server's serial console")
    .addArgument(new Argument('<server>', 'server name or id'))
    .option('--escape <key>', "the key that ends the session: '^]' (Ctrl-]), '^X', ... or 'none'", '^]')
    .option('--log <file>', "append the console's output to FILE (created 0600)")
    .addOption(
      new Option('--for <duration>', 'end the session after DURATION (e.g. 30s, 5m)').argParser((raw: string) =>
        parseDuration(raw, '--for'),
      ),
    )
    .option('--no-reconnect', 'end when the console proxy closes, instead of reconnecting with a fresh console')
    .addOption(waitOption())
    .option('--all-projects', 'look the name up in every project (admins)');
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
On a terminal, keys go to the console as typed (Ctrl-C included) until the
escape key, Ctrl-] unless --escape says otherwise. Off a terminal, stdin is
sent as is and the console's output goes to stdout: the session ends when
the console proxy closes, when --for runs out, or (without --for) once the
console has been quiet for 2 s after the end of stdin. When the proxy closes
the session (a token that ran out, a live migration), osconsole says why on
stderr and reconnects with a fresh console, up to 5 times in a row.

Examples:
  $ osconsole console attach web-1
  $ osconsole console attach web-1 --escape '^X' --log web-1.log
  $ printf 'uname -a\\r' | osconsole console attach web-1 --for 5s
  $ osconsole console attach new-vm --wait=15m`,
  );
  cmd.action(
    app.action(async (ctx: Context, server: string, opts: AttachOptions, command: Command) => {
      const { attachSerial } = await import('../core/attach.js');
      const { describeEscape, openLogFile, parseEscape, streamIO } = await import('../ui/attach-io.js');
      const { farewell, showAttachEvent } = await import('../output/attach-format.js');
      const escape = parseEscape(opts.escape);
      const terminal = ctx.deps.stdin.isTTY === true;
      const log = opts.log === undefined ? undefined : openLogFile(opts.log);
      const lineStart = { atLineStart: true };
      const view = {
        out: ctx.output,
        terminal,
        escapeKey: escape === null ? undefined : describeEscape(escape),
        lineStart,
      };
      const stream = streamIO(ctx.deps, {
        escape,
        forMs: opts.for,
        log,
        onEvent: (e) => showAttachEvent(view, e),
        onLogError: (m) => showAttachEvent(view, { kind: 'warning', text: m }),
      });
      // Our lines share the screen with the console only when both streams are the terminal.
      if (ctx.output.stdoutIsTTY && ctx.output.stderrIsTTY) view.lineStart = stream;
      let name = server;
      try {
        const req = {
          server,
          allProjects: opts.allProjects === true,
          reconnect: opts.reconnect,
          wait: opts.wait === undefined ? undefined : { timeoutMs: opts.wait },
        };
        const outcome = await attachSerial(ctx, selectionOf(command, ctx), req, await ctx.interaction(), stream.io);
        name = outcome.server.name ?? outcome.server.id;
        if (outcome.reason === 'SIGINT') throw new OsconsoleError('E_CANCELLED', 'interrupted (SIGINT)');
        if (outcome.reason === 'SIGTERM' || outcome.reason === 'SIGHUP')
          throw new OsconsoleError('E_TERMINATED', `ended by ${outcome.reason}`);
      } finally {
        const wasRaw = stream.raw;
        stream.dispose();
        ctx.output.clearStatus();
        if (wasRaw) ctx.output.note(`${stream.atLineStart ? '' : '\n'}${farewell(name)}`);
      }
    }),
  );
}

interface TunnelOptions {
  port: number;
  address: string;
  once?: boolean;
  json?: boolean;
  wait?: number;
  allProjects?: boolean;
}

function registerTunnel(group: Command, app: App): void {
  const cmd = group
    .command('tunnel')
    .description("a local port for native VNC viewers, bridged to the server's noVNC console")
    .addArgument(new Argument('<server>', 'server name or id'))
    .addOption(new Option('--port <n>', 'local port (default: a free one)').argParser(parsePort).default(0, 'free'))
    .option('--address <addr>', 'local address to listen on; anything but loopback lets others in', '127.0.0.1')
    .option('--once', 'stop listening after the first connection, and end when it closes')
    .option('--json', 'print {"server", "type", "listen": {"host", "port"}, "url"} on stdout')
    .addOption(waitOption())
    .option('--all-projects', 'look the name up in every project (admins)');
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
Prints vnc://127.0.0.1:PORT on stdout once listening; point any VNC viewer
at it (remote-viewer, vncviewer, gvncviewer). Each connection gets a fresh
console, so the tunnel outlives console tokens. Nova's proxy asks the viewer
for no password. Ctrl-C or SIGTERM closes everything and exits 0.

Examples:
  $ osconsole console tunnel web-1
  $ osconsole console tunnel web-1 --port 5901 --once &
  $ osconsole console tunnel web-1 --json | jq -r .url`,
  );
  cmd.action(
    app.action(async (ctx: Context, server: string, opts: TunnelOptions, command: Command) => {
      const { openTunnel } = await import('../core/tunnel.js');
      const { printTunnel, showTunnelEvent, tunnelBanner } = await import('../output/tunnel-format.js');
      const { watchSignals } = await import('../ui/signals.js');
      const { showWait } = await import('../output/wait-format.js');
      warnIfExposed(ctx.output, opts.address);
      const signals = watchSignals(ctx.deps);
      try {
        const req = {
          server,
          allProjects: opts.allProjects === true,
          address: opts.address,
          port: opts.port,
          once: opts.once === true,
          wait: waitFor(opts.wait, (p) => showWait(ctx.output, p)),
        };
        const opening = openTunnel(ctx, selectionOf(command, ctx), req, await ctx.interaction(), (e) =>
          showTunnelEvent(ctx.output, e),
        ).finally(() => ctx.output.clearStatus());
        const tunnel = await Promise.race([opening, signals.stopped]);
        if (typeof tunnel === 'string') {
          void opening.then(
            (t) => t.close(),
            () => undefined,
          );
          return;
        }
        printTunnel(ctx.output, tunnel, opts.json === true);
        ctx.output.note(tunnelBanner(tunnel, req.once));
        try {
          await Promise.race([tunnel.done, signals.stopped]);
        } finally {
          await tunnel.close();
        }
      } finally {
        signals.dispose();
      }
    }),
  );
}

function registerView(group: Command, app: App): void {
  const cmd = group
    .command('view')
    .description("open a server's console in a native viewer (remote-viewer): SPICE direct, or VNC through a tunnel")
    .addArgument(new Argument('<server>', 'server name or id'))
    .addOption(
      new Option('-t, --type <type>', 'auto: spice-direct when the cloud offers it (compute 2.99), else novnc')
        .choices(['auto', 'spice-direct', 'novnc'])
        .default('auto'),
    )
    .option('--viewer <cmd>', 'the viewer to run (default $OSCONSOLE_SPICE_VIEWER, else remote-viewer)')
    .option('--vv <file>', 'spice-direct: write the connection file to FILE (0600) instead of starting a viewer')
    .option('--print', 'spice-direct: print the connection file on stdout instead of starting a viewer')
    .option('--direct', "spice-direct, admins: connect to the hypervisor's own SPICE ports, bypassing the proxy")
    .option('--spice-ca <file>', "with --direct: the CA certificate (PEM) of the hypervisor's SPICE TLS port")
    .addOption(waitOption())
    .option('--all-projects', 'look the name up in every project (admins)');
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
spice-direct: osconsole fetches the connection file from the spice-direct
proxy (such as Kerbside) and hands it to the viewer on stdin, so its password
never touches the disk. --direct builds it from the console token's host and
ports instead (GET /os-console-auth-tokens, admins): those are hypervisor
addresses, reachable only from the management network.
novnc: a local tunnel (as "console tunnel") for the viewer's lifetime.
The viewer's exit ends the command; Ctrl-C ends the viewer.

Examples:
  $ osconsole console view web-1
  $ osconsole console view web-1 --type novnc --viewer vncviewer
  $ osconsole console view web-1 --vv web-1.vv
  $ osconsole console view web-1 --direct --spice-ca /etc/pki/qemu/ca-cert.pem --os-cloud admin`,
  );
  cmd.action(
    app.action(async (ctx: Context, server: string, opts: ViewOptions, command: Command) => {
      const { runView } = await import('./console-view.js');
      await runView(ctx, selectionOf(command, ctx), server, opts);
    }),
  );
}

function parsePort(raw: string): number {
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new InvalidArgumentError('expected a port number, 0 to 65535');
  return n;
}

/** A tunnel is a console without a password: only loopback keeps it to this machine's users. */
function warnIfExposed(out: Output, address: string): void {
  const loopback = address === 'localhost' || address === '::1' || /^127\./.test(address);
  if (!loopback) out.warn(`listening on ${address}: anyone who can reach it gets this console, with no password asked`);
}

function registerInspect(group: Command, app: App): void {
  const cmd = group
    .command('inspect')
    .description('show the host and ports behind a console token (GET /os-console-auth-tokens; admins)')
    .addArgument(new Argument('<token-or-url>', 'a console token, or any console URL carrying one'))
    .option('--json', "print Nova's console object on stdout");
  addCloudOptions(cmd, 'session');
  cmd.addHelpText(
    'after',
    `
Accepts a bare token or a URL with ?token=..., noVNC's ?path=%3Ftoken%3D...,
ws://.../?token=... and spice-direct URLs. Off a terminal, prints
"field<TAB>value" lines.

Examples:
  $ osconsole console inspect 'http://h:6080/vnc_lite.html?path=%3Ftoken%3D9a4f...'
  $ osconsole console inspect "$(osconsole console get vm --type spice-direct | head -1)" --json`,
  );
  cmd.action(
    app.action(async (ctx: Context, tokenOrUrl: string, opts: { json?: boolean }, command: Command) => {
      const { inspectConsole } = await import('../core/console.js');
      const { printConnection } = await import('../output/console-format.js');
      const { connection, warnings } = await inspectConsole(ctx, selectionOf(command, ctx), tokenOrUrl, (m) =>
        ctx.output.warn(m),
      );
      for (const w of warnings) ctx.output.warn(w);
      await printConnection(ctx.output, connection, opts.json === true);
    }),
  );
}
