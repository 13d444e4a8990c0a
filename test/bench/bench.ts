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
 * Then, per Node version (this one, and each binary in --node or
 * OSCONSOLE_BENCH_NODES, colon-separated): bare `node -e 0`, a minimal
 * node:http script making console get's two requests (the floor), --help and
 * console get by name and by UUID with a warm code cache, and by UUID without
 * it (OSCONSOLE_NO_CODE_CACHE=1), run interleaved, as ratios to `node -e 0`,
 * with and without NODE_EXTRA_CA_CERTS when it is set; peak RSS of a get.
 *
 *   npm run bench -- [--runs 15] [--out FILE] [--node /path/to/node ...]
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
import { issueToken } from '../helpers/sim.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** OSCONSOLE_BENCH_BIN measures another build (e.g. an older checkout) with this same script. */
const BIN = process.env.OSCONSOLE_BENCH_BIN ?? join(ROOT, 'bin', 'osconsole.js');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    out: { type: 'string', default: join(ROOT, '.bench', 'latest.json') },
    node: { type: 'string', multiple: true, default: [] },
  },
});
const NODES = [
  process.execPath,
  ...(args.node as string[]),
  ...(process.env.OSCONSOLE_BENCH_NODES ?? '').split(':').filter(Boolean),
];
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
    // An empty value unsets the variable (NODE_EXTRA_CA_CERTS: Node would try to read "").
    const childEnv = Object.fromEntries(Object.entries({ ...env, ...extraEnv }).filter(([, v]) => v !== ''));
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: childEnv,
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

interface NodeRow {
  node: string;
  extra_ca: boolean;
  scenario: string;
  median_ms: number;
  ratio_to_node: number;
  peak_rss_mib: number | null;
}

/** The floor: console get's two requests (the server list by name, the console) with node:http and nothing else. */
function floorScript(base: string, token: string): string {
  return `const http = require('node:http');
const call = (method, path, body) => new Promise((ok, fail) => {
  const req = http.request(${JSON.stringify(base)} + path, { method, headers: { 'X-Auth-Token': ${JSON.stringify(token)}, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.99' } }, (res) => { let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => ok(JSON.parse(t))); });
  req.on('error', fail);
  req.end(body);
});
call('GET', '/servers/detail?name=%5Eweb-1%24').then((r) => call('POST', '/servers/' + r.servers[0].id + '/remote-consoles', JSON.stringify({ remote_console: { protocol: 'vnc', type: 'novnc' } }))).then((r) => process.stdout.write(r.remote_console.url + '\\n'));
`;
}

/** Each scenario once per round, rounds interleaved, on each Node; ratios to that Node's `node -e 0`. */
async function perNode(sim: Simulator): Promise<NodeRow[]> {
  const floor = join(home, 'floor.cjs');
  writeFileSync(floor, floorScript(`${sim.url}/compute/v2.1`, await issueToken(sim, 'demo')));
  const rows: NodeRow[] = [];
  const caVariants = env.NODE_EXTRA_CA_CERTS ? [true, false] : [false];
  for (const node of NODES) {
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    for (const extraCa of caVariants) {
      const extra: Record<string, string> = extraCa ? {} : { NODE_EXTRA_CA_CERTS: '' };
      const scenarios: Array<[string, string[], Record<string, string>]> = [
        ['node -e 0', [node, '-e', '0'], {}],
        ['node:http, the same two requests (the floor)', [node, floor], {}],
        ['osconsole --help', [node, BIN, '--help'], {}],
        ['console get <name>', [node, BIN, 'console', 'get', 'web-1'], {}],
        ['console get <uuid>', [node, BIN, 'console', 'get', SERVER_IDS.web1], {}],
        [
          'console get <uuid>, no code cache',
          [node, BIN, 'console', 'get', SERVER_IDS.web1],
          { OSCONSOLE_NO_CODE_CACHE: '1' },
        ],
      ];
      const times = scenarios.map(() => [] as number[]);
      for (const [, cmd, e] of scenarios) await once(cmd, { ...extra, ...e }); // warm the caches
      for (let i = 0; i < RUNS; i++)
        for (const [j, [, cmd, e]] of scenarios.entries()) times[j]!.push((await once(cmd, { ...extra, ...e })).ms);
      const base = median(times[0]!);
      for (const [j, [name, cmd, e]] of scenarios.entries()) {
        const rss = name.startsWith('console get <uuid>')
          ? (await once(cmd, { ...extra, ...e }, true)).rssKiB
          : undefined;
        rows.push({
          node: version,
          extra_ca: extraCa,
          scenario: name,
          median_ms: round(median(times[j]!)),
          ratio_to_node: round(median(times[j]!) / base),
          peak_rss_mib: rss ? round(rss / 1024) : null,
        });
      }
    }
  }
  return rows;
}

const sim = await Simulator.start();
const versions: NodeRow[] = [];
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
  versions.push(...(await perNode(sim)));
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
process.stdout.write("\nPer Node version (interleaved runs; ratio to that Node's node -e 0):\n");
for (const r of versions)
  process.stdout.write(
    `${r.node.padEnd(9)} ${r.extra_ca ? 'CA  ' : 'noCA'}  ${r.scenario.padEnd(46)} ${String(r.median_ms).padStart(7)} ms  ${`${r.ratio_to_node}×`.padStart(6)}${r.peak_rss_mib ? `  ${r.peak_rss_mib} MiB` : ''}\n`,
  );
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
  versions,
  follows,
};
mkdirSync(dirname(args.out as string), { recursive: true });
writeFileSync(args.out as string, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwrote ${args.out}\n`);
