/**
 * Output of the console commands: the URL alone on stdout (so command
 * substitution works), JSON with Nova's snake_case keys, spice-direct's
 * connection as a table on a TTY or tab-separated fields otherwise; context
 * on stderr. Warnings about the URL and --open are the command's (ui/browser.ts).
 */
import type { ConsoleResult } from '../core/console.js';
import type { ConsoleConnection } from '../openstack/compute.js';
import type { Output } from './output.js';

export async function printConsole(out: Output, r: ConsoleResult, json: boolean): Promise<void> {
  if (r.serverStatus === 'SHUTOFF')
    out.warn(`server ${r.server.name ?? r.server.id} is SHUTOFF: its console shows nothing until it is started`);
  if (json) {
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
export async function printConnection(out: Output, c: ConsoleConnection, json: boolean): Promise<void> {
  if (json) {
    out.json(c);
    return;
  }
  const rows: Array<[string, string]> = [
    ['instance_uuid', c.instance_uuid],
    ['host', c.host ?? ''],
    ['port', str(c.port)],
    ...(c.tls_port !== undefined ? ([['tls_port', str(c.tls_port)]] as Array<[string, string]>) : []),
    ['internal_access_path', c.internal_access_path ?? ''],
  ];
  if (out.stdoutIsTTY) await out.table(['FIELD', 'VALUE'], rows);
  else for (const [k, v] of rows) out.result(`${k}\t${v}`);
}
