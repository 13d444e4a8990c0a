/**
 * `npm run bench`: start-up time, HTTP round trips and peak memory, measured
 * in one go against the bundled simulator (median of N runs each):
 *   node -e 0 (the floor), osconsole --help and --version, console get by name
 *   and by UUID with a cached session, the same with 50 ms of latency added to
 *   every request, and `openstack console url show` when it is installed; and
 *   the requests of a 60 s `console log --follow` on a quiet log and on a busy
 *   one (in-process, on a clock that the waits move: 60 s in a moment).
 * Prints a table and writes JSON (.bench/latest.json, or --out FILE).
 *
 *   npm run bench -- [--runs 15] [--out FILE]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PassThrough } from 'node:stream';
import { SERVER_IDS, Simulator } from '../sim/index.js';
import { main } from '../../src/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** OSCONSOLE_BENCH_BIN measures another build (e.g. an older checkout) with this same script. */
const BIN = process.env.OSCONSOLE_BENCH_BIN ?? join(ROOT, 'bin', 'osconsole.js');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    out: { type: 'string', default: join(ROOT, '.bench', 'latest.json') },
  },
});
const RUNS = Number(args.runs);
const TIME = ['/usr/bin/time', '/bin/time'].find((p) => spawnSync(p, ['-f', '%M', 'true']).status === 0);

interface Result {
  name: string;
  median_ms: number;
  min_ms: number;
  ratio_to_node: number | null;
  requests: number | null;
  peak_rss_mib: number | null;
  exit_code: number;
}

const home = mkdtempSync(join(tmpdir(), 'osconsole-bench-'));
/**
 * The caller's environment (what Node pays for it at start-up, e.g.
 * NODE_EXTRA_CA_CERTS, applies to the baseline and to osconsole alike), minus
 * cloud settings, with a private HOME and config directory.
 */
const env: Record<string, string> = {
  ...(Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(OS_|OSCONSOLE_)/.test(k)),
  ) as Record<string, string>),
  HOME: home,
  OSCONSOLE_CONFIG_DIR: join(home, 'config'),
};

/** Runs a command once; wall time from spawn to exit, measured here (asynchronously: the simulator answers from this process). */
function once(
  cmd: string[],
  extraEnv: Record<string, string> = {},
  rss = false,
): Promise<{ ms: number; code: number; rssKiB?: number }> {
  const argv = rss && TIME ? [TIME, '-f', '%M', ...cmd] : cmd;
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const kib = rss ? Number(/(\d+)\s*$/.exec(err.trim())?.[1]) : undefined;
      resolve({ ms, code: code ?? -1, rssKiB: Number.isFinite(kib) ? kib : undefined });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function measure(
  sim: Simulator,
  name: string,
  cmd: string[],
  extraEnv: Record<string, string> = {},
): Promise<Result> {
  await once(cmd, extraEnv); // warm the file cache
  const times: number[] = [];
  let requests: number | null = null;
  let code = 0;
  for (let i = 0; i < RUNS; i++) {
    sim.clearLog();
    const r = await once(cmd, extraEnv);
    times.push(r.ms);
    code = r.code;
    requests = sim.log.length;
  }
  const mem = await once(cmd, extraEnv, true);
  return {
    name,
    median_ms: round(median(times)),
    min_ms: round(Math.min(...times)),
    ratio_to_node: null,
    requests,
    peak_rss_mib: mem.rssKiB ? round(mem.rssKiB / 1024) : null,
    exit_code: code,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * `console log web-1 --follow --for 60s` in-process: each wait moves a virtual clock, and the
 * guest writes `linesPerSecond` lines per second of it; returns the os-getConsoleOutput
 * requests and the lines printed.
 */
async function followMinute(sim: Simulator, linesPerSecond: number): Promise<{ requests: number; lines: number }> {
  let clock = Date.now();
  let owed = 0;
  let n = 0;
  const log = sim.consoleLog(SERVER_IDS.web1);
  const out = new PassThrough();
  let printed = '';
  out.on('data', (d: Buffer) => (printed += d.toString('utf8')));
  sim.clearLog();
  const code = await main(['console', 'log', 'web-1', '--follow', '-n', '0', '--for', '60s'], {
    stdin: Object.assign(new PassThrough(), { isTTY: false }),
    stdout: out,
    stderr: new PassThrough(),
    env,
    cwd: ROOT,
    homedir: home,
    platform: process.platform,
    now: () => clock,
    sleep: (ms) => {
      clock += ms;
      for (owed += (ms / 1000) * linesPerSecond; owed >= 1; owed--)
        log.append(`[ ${String(++n).padStart(6)} ] busy\r\n`);
      return Promise.resolve();
    },
  });
  if (code !== 0) throw new Error(`bench: console log --follow exited ${code}`);
  const requests = sim.requests('compute').filter((e) => e.path.endsWith('/action')).length;
  return { requests, lines: printed.split('\n').length - 1 };
}

const sim = await Simulator.start();
const follows: Array<{ name: string; requests: number; lines: number }> = [];
const results: Result[] = [];
try {
  const osc = [process.execPath, BIN];
  const login = await once([...osc, 'login'], sim.env('demo'));
  if (login.code !== 0) throw new Error('bench: login against the simulator failed');
  await once([...osc, 'console', 'get', SERVER_IDS.web1]); // caches the compute version range

  results.push(await measure(sim, 'node -e 0', [process.execPath, '-e', '0']));
  results.push(await measure(sim, 'osconsole --version', [...osc, '--version']));
  results.push(await measure(sim, 'osconsole --help', [...osc, '--help']));
  results.push(await measure(sim, 'console get <name> (cached session)', [...osc, 'console', 'get', 'web-1']));
  results.push(await measure(sim, 'console get <uuid> (cached session)', [...osc, 'console', 'get', SERVER_IDS.web1]));
  // A whole session held 0.5 s: start-up, the lookup, the console and the websocket upgrade.
  results.push(
    await measure(sim, 'console attach <name> --for 0.5s', [...osc, 'console', 'attach', 'web-1', '--for', '0.5s']),
  );
  // spice-direct's file: the lookup, the console, the proxy's .vv (no token lookup).
  results.push(
    await measure(sim, 'console view <name> --print (spice-direct)', [...osc, 'console', 'view', 'web-1', '--print']),
  );
  for (const [name, rate] of [
    ['console log --follow, 60 s, quiet log', 0],
    ['console log --follow, 60 s, 20 lines/s', 20],
  ] as const)
    follows.push({ name, ...(await followMinute(sim, rate)) });
  sim.addFault({ action: { kind: 'latency', ms: 50 } });
  results.push(await measure(sim, 'console get <name>, 50 ms latency', [...osc, 'console', 'get', 'web-1']));
  results.push(await measure(sim, 'console get <uuid>, 50 ms latency', [...osc, 'console', 'get', SERVER_IDS.web1]));
  sim.faults.clear();
  if (spawnSync('sh', ['-c', 'command -v openstack']).status === 0) {
    const r = await measure(
      sim,
      'openstack console url show <name>',
      ['openstack', 'console', 'url', 'show', '-f', 'value', '-c', 'url', 'web-1'],
      sim.env('demo'),
    );
    results.push(r);
  }
} finally {
  await sim.stop();
  rmSync(home, { recursive: true, force: true });
}

const node = results[0]?.median_ms ?? 1;
for (const r of results) r.ratio_to_node = round(r.median_ms / node);

const targets: Record<string, (r: Result) => boolean> = {
  'osconsole --help': (r) => (r.ratio_to_node ?? 99) <= 1.5,
  'console get <name> (cached session)': (r) => (r.ratio_to_node ?? 99) <= 1.5 && r.requests === 2,
  'console get <uuid> (cached session)': (r) => r.requests === 1,
  // The list, the console, the websocket upgrade.
  'console attach <name> --for 0.5s': (r) => r.requests === 3,
  'console view <name> --print (spice-direct)': (r) => r.requests === 3,
};
const rows = results.map((r) => [
  r.name,
  `${r.median_ms}`,
  `${r.ratio_to_node}×`,
  r.requests === null ? '' : String(r.requests),
  r.peak_rss_mib === null ? 'n/a' : `${r.peak_rss_mib}${r.peak_rss_mib >= 60 ? ' (≥60)' : ''}`,
  r.exit_code === 0 ? '' : `exit ${r.exit_code}`,
  targets[r.name] ? (targets[r.name]!(r) ? 'meets target' : 'MISSES target') : '',
]);
const head = ['scenario', 'median ms', 'vs node', 'requests', 'peak RSS MiB', '', 'target'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i] as number))
    .join('  ')
    .trimEnd();
const extraCa = env.NODE_EXTRA_CA_CERTS
  ? `, NODE_EXTRA_CA_CERTS set (every Node start reads ${env.NODE_EXTRA_CA_CERTS})`
  : '';
process.stdout.write(
  `osconsole bench: median of ${RUNS} runs each, Node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB${extraCa}\n\n`,
);
process.stdout.write(`${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
process.stdout.write(
  `\n${follows.map((f) => `${f.name}: ${f.requests} requests, ${f.lines} lines printed`).join('\n')}\n`,
);
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cores: cpus().length,
  runs: RUNS,
  node_extra_ca_certs: Boolean(env.NODE_EXTRA_CA_CERTS),
  version: (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
  results,
  follows,
};
mkdirSync(dirname(args.out as string), { recursive: true });
writeFileSync(args.out as string, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwrote ${args.out}\n`);
