/**
 * Property-based tests (fast-check) of the input handling that must never
 * crash or mislead: console-token extraction, server-name regex escaping
 * (checked with JavaScript's RegExp, as the simulator uses, and with Python's
 * re, as Nova on SQLite uses), microversions, clouds.yaml merging and the
 * command-line parser on random argv.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepMerge } from '../../src/config/clouds-yaml.js';
import type { Values } from '../../src/config/cloud-config.js';
import type { Source } from '../../src/config/resolve.js';
import { mergeLayers } from '../../src/config/resolve.js';
import { extractConsoleToken } from '../../src/core/console-url.js';
import { compare, format, negotiate, parseVersion } from '../../src/core/microversion.js';
import type { Version } from '../../src/core/microversion.js';
import { exactNamePattern } from '../../src/core/servers.js';
import { OsconsoleError } from '../../src/errors.js';
import { runMain } from '../helpers/cli.js';

const RUNS = { numRuns: 300 };

describe('console token extraction', () => {
  const host = fc.constantFrom('127.0.0.1:6080', 'console.example.com', '[2001:db8::1]:6082', 'h:13002');
  const page = fc.constantFrom('/vnc_lite.html', '/vnc_auto.html', '/spice_auto.html', '/', '/nova', '/novnc/vnc.html');
  const extra = fc.array(fc.tuple(fc.constantFrom('title', 'lang', 'x'), fc.string()), { maxLength: 2 });

  it('finds the token in every URL form Nova hands out', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        host,
        page,
        extra,
        fc.constantFrom('http', 'https', 'ws', 'wss'),
        fc.constantFrom('plain', 'novnc', 'novnc-prefix'),
        (token, h, p, params, scheme, form) => {
          const u = new URL(`${scheme}://${h}${p}`);
          for (const [k, v] of params) u.searchParams.append(k, v);
          if (form === 'plain') u.searchParams.set('token', token);
          else u.searchParams.set('path', `${form === 'novnc-prefix' ? 'websockify' : ''}?token=${token}`);
          expect(extractConsoleToken(u.toString())).toBe(token);
          expect(extractConsoleToken(`  ${token}\n`)).toBe(token);
        },
      ),
      RUNS,
    );
  });

  it('anything else is a usage error (exit 2), never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          extractConsoleToken(s);
        } catch (err) {
          expect(err).toBeInstanceOf(OsconsoleError);
          expect((err as OsconsoleError).exitCode).toBe(2);
        }
      }),
      RUNS,
    );
  });
});

describe('server-name regex escaping', () => {
  const names = fc
    .string({
      unit: fc.oneof(
        fc.constantFrom(...'\\^$.|?*+()[]{}-_ /#&%\'"'),
        fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
        fc.constantFrom('é', '名', '🙂', '\n', '\t'),
      ),
      maxLength: 24,
    })
    .filter((s) => s.length > 0);

  it('in JavaScript the pattern matches the name and nothing else', () => {
    fc.assert(
      fc.property(names, names, (a, b) => {
        const re = new RegExp(exactNamePattern(a));
        expect(re.test(a)).toBe(true);
        if (b !== a) expect(re.test(b)).toBe(false);
        expect(re.test(`${a}x`)).toBe(false);
        expect(re.test(`x${a}`)).toBe(false);
      }),
      RUNS,
    );
  });

  it("in Python's re (Nova's REGEXP on SQLite) the pattern matches the name, and only differs on a trailing newline", () => {
    const samples = fc.sample(fc.tuple(names, names), { numRuns: 300, seed: 42 });
    const script = [
      'import json, re, sys',
      'out = []',
      'for a, b in json.load(sys.stdin):',
      '    p = re.compile(sys.argv[1] if False else json.loads(a)["p"])',
      '    name = json.loads(a)["n"]',
      '    other = b',
      '    out.append([bool(p.search(name)), bool(p.search(other)) if other != name else None, bool(p.search(name + "x"))])',
      'print(json.dumps(out))',
    ].join('\n');
    const input = JSON.stringify(samples.map(([a, b]) => [JSON.stringify({ p: exactNamePattern(a), n: a }), b]));
    const r = spawnSync('python3', ['-c', script], { input, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as Array<[boolean, boolean | null, boolean]>;
    results.forEach(([self, other, suffix], i) => {
      const [a, b] = samples[i]!;
      expect(self, JSON.stringify(a)).toBe(true);
      // Python's $ also matches before a final newline; the client's exact comparison drops that one.
      if (other !== null && b !== `${a}\n`) expect(other, JSON.stringify([a, b])).toBe(false);
      expect(suffix).toBe(false);
    });
  });
});

describe('microversions', () => {
  const version = fc.record({ major: fc.integer({ min: 1, max: 9 }), minor: fc.integer({ min: 0, max: 300 }) });

  it('sorting by compare orders 2.9 before 2.10 before 2.100', () => {
    const sorted = ['2.100', '2.10', '2.9', '2.99', '3.0', '2.1']
      .map((s) => parseVersion(s)!)
      .sort(compare)
      .map(format);
    expect(sorted).toEqual(['2.1', '2.9', '2.10', '2.99', '2.100', '3.0']);
  });

  it('format and parse round-trip; comparison orders (major, minor) pairs, not strings', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(parseVersion(format(a))).toEqual(a);
        const ab = compare(a, b);
        expect(Math.sign(ab) + Math.sign(compare(b, a))).toBe(0);
        expect(Math.sign(ab)).toBe(Math.sign(a.major - b.major || a.minor - b.minor));
        if (compare(a, b) <= 0 && compare(b, c) <= 0) expect(compare(a, c)).toBeLessThanOrEqual(0);
      }),
      RUNS,
    );
  });

  it('rejects malformed strings, as Nova does', () => {
    for (const bad of ['2.06', '02.1', 'v2.6', '2', '2.', '.5', 'latest', '2.1.1', ' ', '2,6', '-2.1'])
      expect(parseVersion(bad), bad).toBeUndefined();
  });

  it("negotiation stays within the cloud's range, the floor and the ceiling", () => {
    fc.assert(
      fc.property(version, version, version, version, (x, y, floor, ceiling) => {
        const [min, max] = compare(x, y) <= 0 ? [x, y] : [y, x];
        const v = negotiate({ min, max }, floor, ceiling);
        if (v === undefined) {
          const top: Version = compare(max, ceiling) < 0 ? max : ceiling;
          expect(compare(top, floor) < 0 || compare(top, min) < 0).toBe(true);
        } else {
          expect(compare(v, min)).toBeGreaterThanOrEqual(0);
          expect(compare(v, max)).toBeLessThanOrEqual(0);
          expect(compare(v, floor)).toBeGreaterThanOrEqual(0);
          expect(compare(v, ceiling)).toBeLessThanOrEqual(0);
          // The highest both sides support: nothing between v and min(max, ceiling).
          expect(v).toEqual(compare(max, ceiling) < 0 ? max : ceiling);
        }
      }),
      RUNS,
    );
  });
});

describe('configuration merging', () => {
  const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
  // Four levels cover every merge case (scalar over mapping, mapping over mapping, below
  // a merged mapping), and three keys a level a key in one tree, the other or both;
  // wider or deeper trees took seconds for nothing more.
  const tree = fc.letrec((tie) => ({
    node: fc.dictionary(
      fc.constantFrom('auth', 'region_name', 'username', 'password', 'a', 'b'),
      fc.oneof({ depthSize: 'small', maxDepth: 4 }, scalar, tie('node')),
      { maxKeys: 3 },
    ),
  })).node as fc.Arbitrary<Record<string, unknown>>;

  it('secure.yaml over clouds.yaml: its scalars win, mappings merge, nothing is lost', () => {
    fc.assert(
      fc.property(tree, tree, (base, over) => {
        const merged = deepMerge(base, over);
        expect(Object.keys(merged).sort()).toEqual([...new Set([...Object.keys(base), ...Object.keys(over)])].sort());
        for (const [k, v] of Object.entries(over)) {
          const b = base[k];
          if (v && typeof v === 'object' && b && typeof b === 'object' && !Array.isArray(v) && !Array.isArray(b))
            continue;
          expect(merged[k]).toEqual(v);
        }
      }),
      RUNS,
    );
  });

  it('flags > environment > clouds.yaml, and a group set in a higher layer replaces the whole group', () => {
    const key = fc.constantFrom<keyof Values>(
      'project_id',
      'project_name',
      'username',
      'user_id',
      'region_name',
      'password',
    );
    const layer = fc.dictionary(key, fc.string({ minLength: 1 })) as fc.Arbitrary<Values>;
    fc.assert(
      fc.property(layer, layer, layer, (file, env, flags) => {
        const { values, sources } = mergeLayers([
          ['clouds.yaml', file],
          ['env', env],
          ['flag', flags],
        ] as Array<[Source, Values]>);
        for (const k of Object.keys(values) as Array<keyof Values>) {
          const src = sources[k];
          const expected = src === 'flag' ? flags[k] : src === 'env' ? env[k] : file[k];
          expect(values[k]).toBe(expected);
          if (flags[k] !== undefined) expect(src).toBe('flag');
        }
        // A project name from the command line never travels with a project id from elsewhere.
        if (flags.project_name !== undefined && flags.project_id === undefined)
          expect(values.project_id).toBeUndefined();
        if (flags.user_id !== undefined && flags.username === undefined) expect(values.username).toBeUndefined();
      }),
      RUNS,
    );
  });
});

describe('the command line on random argv', () => {
  const words = fc.constantFrom(
    'login',
    'logout',
    'status',
    'console',
    'get',
    'inspect',
    'web-1',
    '--json',
    '--type',
    'novnc',
    'auto',
    'xvpvnc',
    'telnet',
    '--protocol',
    'vnc',
    '--os-cloud',
    'nope',
    '--timeout',
    '0.2',
    '-1',
    '--debug',
    '--no-color',
    '--help',
    '--all',
    '--open',
    '--all-projects',
    '--os-auth-url',
    'http://127.0.0.1:1/v3',
    '--os-compute-api-version',
    '2.x',
    '--bogus',
    '-t',
    '',
    '--',
    'http://h/?token=abc',
  );
  const argv = fc.array(
    fc.oneof({ weight: 4, arbitrary: words }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }),
    { maxLength: 7 },
  );

  it('never crashes: every run ends with a documented status and no stack trace; unknown options are exit 2', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osconsole-argv-'));
    try {
      const env = { HOME: home, OSCONSOLE_CONFIG_DIR: join(home, 'cfg'), OSCONSOLE_TIMEOUT: '1' };
      await fc.assert(
        fc.asyncProperty(argv, async (args) => {
          const r = await runMain(args, { env });
          expect([0, 2, 3, 4, 6, 7], `${JSON.stringify(args)} → ${r.code}: ${r.stderr}`).toContain(r.code);
          // Errors are one line with no stack trace, unless --debug asks for the trace (documented);
          // a command group without its subcommand prints its usage instead.
          const debug = args.includes('--debug');
          if (!debug) expect(r.stderr).not.toMatch(/\n\s+at /);
          if (r.code !== 0 && !debug && !r.stderr.startsWith('Usage:'))
            expect(r.stderr.trim().split('\n')).toHaveLength(1);
        }),
        { numRuns: 150 },
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('an unknown option is exit 2 wherever it appears', async () => {
    const prefix = fc.constantFrom(
      [],
      ['login'],
      ['status'],
      ['logout'],
      ['console', 'get', 'web-1'],
      ['console', 'inspect', 'abcdefgh1234'],
    );
    const flags = fc.array(fc.constantFrom('--debug', '--no-color'), { maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(prefix, flags, fc.constantFrom('--bogus', '--os-nothing', '-z'), async (p, f, unknown) => {
        const r = await runMain([...p, ...f, unknown], { env: { OSCONSOLE_CONFIG_DIR: '/nonexistent/osconsole' } });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^osconsole: unknown option '${unknown}'`));
      }),
      { numRuns: 60 },
    );
  });
});
