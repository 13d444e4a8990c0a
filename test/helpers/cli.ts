/**
 * Running osconsole in tests: as a child process (the built binary, exactly as
 * users run it) or in-process through main() with captured streams.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../../src/cli.js';
import type { Deps } from '../../src/deps.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'osconsole.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** In-process runs: the HTTP retry waits main() asked for (ms), recorded instead of slept. */
  sleeps?: number[];
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** Another osconsole executable (an installed one) instead of this checkout's bin. */
  binary?: string;
}

/** Asserts the exit status; on a mismatch the failure shows stderr, which says why. */
export function expectExit(r: CliResult, code: number): void {
  expect(r.code, r.stderr).toBe(code);
}

/**
 * A clean environment: no OS_* or proxy variables from the developer's shell,
 * HOME and the config dir in a fresh temporary directory.
 */
export function cleanEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    OSCONSOLE_CONFIG_DIR: join(home, 'osconsole'),
    LANG: 'C.UTF-8',
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A temporary HOME for one test; removed by the returned cleanup. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'osconsole-test-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Runs the built binary as a child process. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, first] = opts.binary ? [opts.binary, []] : [process.execPath, [BIN]];
    const child = spawn(cmd, [...first, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? cleanEnv(tmpdir()),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`osconsole ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  /** The working directory as main() sees it (deps.cwd). */
  cwd?: string;
  /** HOME as main() sees it (deps.homedir). */
  homedir?: string;
  /** Pretend stdin/stdout/stderr are terminals. */
  tty?: boolean;
  now?: () => number;
  openBrowser?: (url: string) => Promise<void>;
  /** Retry waits; default: recorded in the result's `sleeps` and not waited. */
  sleep?: (ms: number) => Promise<void>;
}

/** Runs main() in-process with captured streams (fast; for parsing and output rules). */
export async function runMain(args: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const out = capture(opts.tty ?? false);
  const err = capture(opts.tty ?? false);
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
  stdin.end(opts.input ?? '');
  const sleeps: number[] = [];
  const deps: Deps = {
    stdin,
    stdout: out,
    stderr: err,
    env: opts.env ?? {},
    cwd: opts.cwd ?? ROOT,
    homedir: opts.homedir ?? tmpdir(),
    platform: process.platform,
    now: opts.now ?? Date.now,
    openBrowser: opts.openBrowser,
    sleep:
      opts.sleep ??
      ((ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      }),
  };
  const code = await main(args, deps);
  return { code, stdout: out.text, stderr: err.text, sleeps };
}

/** main() running in-process with a stdin the test writes to over time (pipe mode: not a TTY). */
export interface LiveRun {
  /** Bytes for stdin; `end()` closes it (EOF). */
  stdin: PassThrough;
  stdout(): Buffer;
  stderr(): string;
  /** Resolves when stdout (as UTF-8) matches; rejects after `timeoutMs` with what it got. */
  waitStdout(re: RegExp, timeoutMs?: number): Promise<void>;
  waitStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Delivers a signal to the handlers main() registered through deps.onSignal (none: nothing happens). */
  signal(sig: NodeJS.Signals): void;
  done: Promise<CliResult>;
}

export function startMain(
  args: string[],
  opts: Omit<InProcessOptions, 'input' | 'tty'> & { sleep?: (ms: number) => Promise<void>; stdin?: PassThrough } = {},
): LiveRun {
  const out = capture(false);
  const err = capture(false);
  const stdin = opts.stdin ?? Object.assign(new PassThrough(), { isTTY: false });
  const sleeps: number[] = [];
  const handlers = new Map<NodeJS.Signals, Set<() => void>>();
  const deps: Deps = {
    stdin,
    stdout: out,
    stderr: err,
    env: opts.env ?? {},
    cwd: opts.cwd ?? ROOT,
    homedir: opts.homedir ?? tmpdir(),
    platform: process.platform,
    now: opts.now ?? Date.now,
    sleep:
      opts.sleep ??
      ((ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      }),
    onSignal: (sig, handler) => {
      const set = handlers.get(sig) ?? new Set();
      handlers.set(sig, set.add(handler));
      return () => set.delete(handler);
    },
  };
  const done = main(args, deps).then((code) => ({ code, stdout: out.text, stderr: err.text, sleeps }));
  const waitFor =
    (read: () => string, what: string) =>
    async (re: RegExp, timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      let finished = false;
      void done.then(() => (finished = true));
      while (!re.test(read())) {
        if (Date.now() > until || finished)
          throw new Error(
            `${what} never matched ${re}${finished ? ' (main() returned)' : ''}:\n${read()}\nstderr: ${err.text}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    };
  return {
    stdin,
    stdout: () => out.bytes,
    stderr: () => err.text,
    waitStdout: waitFor(() => out.text, 'stdout'),
    waitStderr: waitFor(() => err.text, 'stderr'),
    signal: (sig) => [...(handlers.get(sig) ?? [])].forEach((h) => h()),
    done,
  };
}

/** A stream that keeps what is written: text, and bytes (console attach) decoded once at the end. */
function capture(isTTY: boolean) {
  const chunks: Buffer[] = [];
  return {
    isTTY,
    columns: 100,
    get text(): string {
      return Buffer.concat(chunks).toString('utf8');
    },
    get bytes(): Buffer {
      return Buffer.concat(chunks);
    },
    write(chunk: string | Uint8Array) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
      return true;
    },
  };
}

export interface PtyStep {
  /** A regular expression awaited in the terminal's output after the previous step's match. */
  expect: string;
  /** Typed once it appeared (after a short pause, as a person would). */
  send: string;
}

/**
 * Runs the binary in a pseudo-terminal (stdin and stdout are TTYs), answering prompts.
 * util-linux script(1) holds the terminal: it copies what we write to it and what the
 * program shows back to us; it starts in milliseconds where a Python pty driver took
 * a third of a second. The terminal merges stdout and stderr, as a real one does.
 */
export function runPty(
  args: string[],
  steps: PtyStep[],
  env: Record<string, string>,
  timeoutS = 20,
): Promise<CliResult & { failedStep: number | null }> {
  return runPtyCommand([process.execPath, BIN, ...args].map(shellQuote).join(' '), steps, env, timeoutS);
}

/** The osconsole binary as a shell word, for runPtyCommand's scripts. */
export const OSCONSOLE = [process.execPath, BIN].map((s) => shellQuote(s)).join(' ');

/** Like runPty, for a shell command line (`stty -g; osconsole ...; stty -g`) run by /bin/sh in the terminal. */
export function runPtyCommand(
  command: string,
  steps: PtyStep[],
  env: Record<string, string>,
  timeoutS = 20,
): Promise<CliResult & { failedStep: number | null }> {
  return new Promise((resolve, reject) => {
    // -q no banner, -e the program's exit status, -f flush each write, -c the command (run by SHELL).
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: ROOT,
      env: { TERM: 'xterm', ...env, SHELL: '/bin/sh' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let err = '';
    let step = 0;
    let pos = 0;
    let typing = false;
    let failedStep: number | null = null;
    const answer = () => {
      const next = steps[step];
      if (typing || !next) return;
      const m = new RegExp(next.expect).exec(output.slice(pos));
      if (!m) return;
      pos += m.index + m[0].length;
      typing = true;
      setTimeout(() => {
        typing = false;
        step++;
        if (child.stdin.writable) child.stdin.write(next.send);
        answer();
      }, 50);
    };
    const timer = setTimeout(() => {
      failedStep = step < steps.length ? step : null;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      answer();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (err) return reject(new Error(`script(1) failed: ${err}`));
      if (step < steps.length) failedStep ??= step;
      // The terminal merged both streams: stderr is the same text, so `expect(r.code, r.stderr)` shows it.
      resolve({ code: code ?? (signal ? 128 : -1), stdout: output, stderr: output, failedStep });
    });
  });
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
