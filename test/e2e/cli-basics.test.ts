/**
 * The CLI skeleton: help, version and a usage error run as users run them (the
 * built binary as a child process, exit status included), other usage errors
 * (one line, exit 2, no stack trace) through main() in-process, and the output
 * rules (colour only on a TTY, never with NO_COLOR/--no-color/TERM=dumb).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Output, colorEnabled } from '../../src/output/output.js';
import { ROOT, cleanEnv, runCli, runMain } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;

describe('osconsole binary', () => {
  it('--help prints usage, the exit-status table and examples on stdout, exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: osconsole \[options\] \[command\]/);
    expect(r.stdout).toContain('Exit status:');
    expect(r.stdout).toMatch(/^\s+130\s+cancelled by the user$/m);
    expect(r.stdout).toContain('Examples:');
  });

  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
  });

  it('an unknown option is one line on stderr, exit 2, nothing on stdout, no stack trace', async () => {
    const r = await runCli(['--bogus']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("osconsole: unknown option '--bogus' (see 'osconsole --help')\n");
  });

  it('an unknown command suggests the closest one', async () => {
    const r = await runMain(['consle']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown command 'consle'.*Did you mean console\?/);
  });

  it('a bad --timeout value is a usage error', async () => {
    const r = await runMain(['--timeout', '0', 'status']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^osconsole: option '--timeout <seconds>' argument '0' is invalid\. expected a positive number of seconds/,
    );
  });

  it('--debug adds nothing to a usage error but never a stack trace for one', async () => {
    const r = await runMain(['--debug', '--bogus']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad OSCONSOLE_TIMEOUT names the variable', async () => {
    const r = await runMain(['status'], { env: cleanEnv('/tmp', { OSCONSOLE_TIMEOUT: 'soon' }) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      'osconsole: invalid value for OSCONSOLE_TIMEOUT: expected a positive number of seconds, between 0.001 and 86400\n',
    );
  });
});

describe('colour', () => {
  const tty = { isTTY: true, write: () => true };
  const pipe = { isTTY: false, write: () => true };

  it('is on for a TTY only, and off with NO_COLOR, --no-color or TERM=dumb', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(tty, {}, false)).toBe(false);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('error lines carry ANSI codes on a TTY and none otherwise', async () => {
    const onTty = await runMain(['--bogus'], { tty: true });
    expect(onTty.stderr).toContain('\u001b[');
    const noColor = await runMain(['--bogus'], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stderr).not.toContain('\u001b[');
    const flag = await runMain(['--no-color', '--bogus'], { tty: true });
    expect(flag.stderr).not.toContain('\u001b[');
    const piped = await runMain(['--bogus']);
    expect(piped.stderr).not.toContain('\u001b[');
  });

  it('tables are boxed on a TTY and tab-separated otherwise', async () => {
    const capture = (isTTY: boolean) => ({
      isTTY,
      text: '',
      write(s: string) {
        this.text += s;
        return true;
      },
    });
    for (const isTTY of [true, false]) {
      const out = capture(isTTY);
      const o = await Output.create(
        { stdin: process.stdin, stdout: out, stderr: capture(false) },
        { NO_COLOR: '1', LANG: 'C.UTF-8' },
      );
      await o.table(['HOST', 'PORT'], [['192.0.2.11', '5900']]);
      if (isTTY) expect(out.text).toMatch(/┌.*\n.*HOST.*PORT.*\n[\s\S]*192\.0\.2\.11.*5900/);
      else expect(out.text).toBe('192.0.2.11\t5900\n');
    }
  });
});
