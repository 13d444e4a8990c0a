/**
 * Output of the console commands: the URL alone on stdout (so command
 * substitution works), JSON with Nova's snake_case keys, spice-direct's
 * connection as a table on a TTY or tab-separated fields otherwise; context
 * and warnings on stderr.
 */
import type { Context } from '../context.js';
import type { ConsoleResult } from '../core/console.js';
import { consoleUrlWarnings } from '../core/console-url.js';
import type { ConsoleConnection } from '../openstack/compute.js';

export async function printConsole(
  ctx: Context,
  r: ConsoleResult,
  opts: { json: boolean; open: boolean },
): Promise<void> {
  const out = ctx.output;
  // The page-name hint is for a person about to open the page, not for every scripted call.
  const person = out.stderrIsTTY || opts.open;
  for (const w of consoleUrlWarnings(r.url, r.endpoint)) if (person || !w.includes('vnc_auto.html')) out.warn(w);
  if (r.serverStatus === 'SHUTOFF')
    out.warn(`server ${r.server.name ?? r.server.id} is SHUTOFF: its console shows nothing until it is started`);
  if (opts.json) {
    out.json({
      server: { id: r.server.id, name: r.server.name },
      protocol: r.protocol,
      type: r.type,
      url: r.url,
      microversion: r.microversion,
      ...(r.type === 'spice-direct' ? { connection: r.connection ? connectionJson(r.connection) : null } : {}),
    });
  } else {
    out.result(r.url);
    if (r.connection) {
      const c = r.connection;
      if (out.stdoutIsTTY)
        await out.table(['HOST', 'PORT', 'TLS PORT'], [[c.host ?? '', str(c.port), str(c.tls_port)]]);
      else out.result([c.host ?? '', str(c.port), str(c.tls_port)].join('\t'));
    }
  }
  if (out.stderrIsTTY) {
    out.note(
      `${r.type} console of ${r.server.name ? `${r.server.name} (${r.server.id})` : r.server.id}; the link works for about 10 minutes`,
    );
  }
  if (opts.open) await open(ctx, r);
}

async function open(ctx: Context, r: ConsoleResult): Promise<void> {
  if (!/^https?:/i.test(r.url)) {
    ctx.output.info(
      `Not opening a browser: ${r.type} URLs are websockets, for a client such as websocat (websocat --binary '${r.url}')`,
    );
    return;
  }
  const { openInBrowser } = await import('../ui/browser.js');
  const outcome = await openInBrowser(ctx.deps, r.url);
  if (outcome === 'opened') ctx.output.info('Opened the console in your browser.');
  else if (outcome === 'no-display') ctx.output.info('No display to open a browser on; the URL is on stdout.');
  else if (outcome === 'disabled') ctx.output.info('BROWSER=none: not opening a browser; the URL is on stdout.');
  else ctx.output.warn('could not start a browser; the URL is on stdout');
}

function connectionJson(c: ConsoleConnection) {
  return {
    instance_uuid: c.instance_uuid,
    host: c.host,
    port: c.port,
    tls_port: c.tls_port ?? null,
    internal_access_path: c.internal_access_path,
  };
}

function str(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** `console inspect`: Nova's object as is (JSON), a table on a TTY, field<TAB>value lines otherwise. */
export async function printConnection(ctx: Context, c: ConsoleConnection, json: boolean): Promise<void> {
  if (json) {
    ctx.output.json(c);
    return;
  }
  const rows: Array<[string, string]> = [
    ['instance_uuid', c.instance_uuid],
    ['host', c.host ?? ''],
    ['port', str(c.port)],
    ...(c.tls_port !== undefined ? ([['tls_port', str(c.tls_port)]] as Array<[string, string]>) : []),
    ['internal_access_path', c.internal_access_path ?? ''],
  ];
  if (ctx.output.stdoutIsTTY) await ctx.output.table(['FIELD', 'VALUE'], rows);
  else for (const [k, v] of rows) ctx.output.result(`${k}\t${v}`);
}
