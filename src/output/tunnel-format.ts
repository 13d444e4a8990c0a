/**
 * Output of `console tunnel` and `console view`: the tunnel's URL alone on
 * stdout (or JSON), its connections on stderr as they come and go.
 */
import type { Tunnel, TunnelEvent } from '../core/tunnel.js';
import type { Output } from './output.js';

export function printTunnel(out: Output, t: Tunnel, json: boolean): void {
  if (json) {
    out.json({ server: t.server, type: t.type, listen: { host: t.host, port: t.port }, url: t.url });
  } else {
    out.result(t.url);
  }
}

export function tunnelBanner(t: Tunnel, once: boolean): string {
  const name = t.server.name ? `${t.server.name} (${t.server.id})` : t.server.id;
  const ends = once ? 'ends after one connection' : 'Ctrl-C to stop';
  return `Forwarding ${t.url} to the VNC console of ${name}; ${ends}.`;
}

export function showTunnelEvent(out: Output, e: TunnelEvent): void {
  switch (e.kind) {
    case 'accepted':
      out.note(`[${e.id}] ${e.peer} connected; opening a console`);
      return;
    case 'connected':
      return;
    case 'closed':
      out.note(
        `[${e.id}] closed after ${seconds(e.ms)} (viewer sent ${size(e.fromViewer)}, console sent ${size(e.fromConsole)}): ${e.why}`,
      );
      return;
    case 'failed':
      out.warn(`[${e.id}] ${e.error.line}`);
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
