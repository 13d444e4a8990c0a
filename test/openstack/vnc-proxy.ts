/**
 * Nova's real noVNC proxy (nova-novncproxy: nova/console/websocketproxy.py with nova's RFB
 * security proxy, on websockify) in front of the tier's Xvnc (test/realcloud/vnc/xvnc.sh),
 * reached the way noVNC and osconsole reach it: a novnc console from real nova-api, then
 * the websocket that the page's `path` parameter names. Shared by vnc.test.ts (Zed) and
 * epoxy/vnc.test.ts; also runs the processes the client tests need (osconsole, Xvfb,
 * gvnccapture, remote-viewer) and makes sure none outlives its test.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { WebSocket } from 'undici';
import { afterEach } from 'vitest';
import type { RealcloudFacts } from './context.js';
import { remoteConsoleUrl } from './serial-proxy.js';

/** A novnc console's page URL for the tier's server, created as demo (what `console get --type novnc` does). */
export const novncUrl = (f: RealcloudFacts): Promise<string> => remoteConsoleUrl(f, 'vnc', 'novnc');

/**
 * The websocket URL noVNC opens for a page URL: ws://<page's host:port>/<path param>
 * (noVNC app/ui.js connect(): url = scheme + host + port + '/' + path; nova's URL carries
 * path=%3Ftoken%3D<token>, nova/compute/api.py get_vnc_console / console auth token's
 * access_url).
 */
export function websocketUrl(page: string): string {
  const u = new URL(page);
  const path = u.searchParams.get('path') ?? '';
  return `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/${path}`;
}

/** The token of a page URL (in its `path` parameter). */
export function pageToken(page: string): string {
  return new URL(websocketUrl(page)).searchParams.get('token') ?? '';
}

export interface WsStream {
  /** bytes in (binary frames) and out (each write one binary frame) */
  stream: Duplex;
  protocol: string;
  textFrames: () => number;
  closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
  ws: WebSocket;
}

/** An undici websocket as a byte stream, once open (so test/helpers/rfb.ts can speak RFB over it). */
export function wsStream(url: string, protocols: string[] = ['binary']): Promise<WsStream> {
  const ws = new WebSocket(url, { protocols });
  ws.binaryType = 'arraybuffer';
  let text = 0;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      ws.send(chunk);
      done();
    },
  });
  const closed = new Promise<WsStream['closed'] extends Promise<infer C> ? C : never>((resolve) =>
    ws.addEventListener('close', (e) => {
      stream.push(null);
      resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
    }),
  );
  ws.addEventListener('message', (e) => {
    if (typeof e.data === 'string') text++;
    else stream.push(Buffer.from(e.data as ArrayBuffer));
  });
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve({ stream, protocol: ws.protocol, textFrames: () => text, closed, ws }));
    ws.addEventListener('close', () => reject(new Error('closed before open')));
  });
}

// ------------------------------------------------------------------ processes

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout/stderr matches; rejects after `ms`, or when the process ended without a match. */
  waitStdout(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  waitStderr(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Proc>();

/** Registers the after-each check: a process a test started and left running is killed, and the test fails. */
export function useProcesses(): void {
  afterEach(async () => {
    const left = [...running].filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    await Promise.all(left.map((p) => p.stop(1000)));
    running.clear();
    if (left.length) throw new Error(`left running by the test: ${left.map((p) => p.child.spawnfile).join(', ')}`);
  });
}

export function startProc(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; extraFds?: number } = {},
): Proc {
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', ...Array<'pipe'>(opts.extraFds ?? 0).fill('pipe')],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      err += `spawn: ${e.message}\n`;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let ended = false;
  void done.then(() => (ended = true));
  const waitFor =
    (read: () => string, what: string) =>
    async (re: RegExp, ms = 30_000) => {
      const until = Date.now() + ms;
      for (;;) {
        const m = re.exec(read());
        if (m) return m;
        if (ended || Date.now() > until) {
          throw new Error(
            `${cmd}: ${what} never matched ${re}${ended ? ' (it exited)' : ''}\nstdout: ${out}\nstderr: ${err}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
  const p: Proc = {
    child,
    stdout: () => out,
    stderr: () => err,
    waitStdout: waitFor(() => out, 'stdout'),
    waitStderr: waitFor(() => err, 'stderr'),
    done,
    stop: async (graceMs = 3000) => {
      if (!ended) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await done;
      clearTimeout(timer);
      return r;
    },
  };
  running.add(p);
  return p;
}

/** Xvfb on a display it picks itself (-displayfd: no fixed number to collide with). */
export async function startXvfb(): Promise<{ proc: Proc; display: string }> {
  const proc = startProc('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], {
    extraFds: 1,
  });
  const fd3 = proc.child.stdio[3] as NodeJS.ReadableStream;
  const n = await new Promise<string>((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display: ${proc.stderr()}`)), 15_000);
    fd3.setEncoding('utf8');
    fd3.on('data', (d: string) => {
      got += d;
      if (got.includes('\n')) {
        clearTimeout(timer);
        resolve(got.trim());
      }
    });
  });
  return { proc, display: `:${n}` };
}

/** Whether any process has `needle` in its command line (/proc): a check for leftovers, never a kill. */
export function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
