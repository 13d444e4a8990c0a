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
import { main } from '../../src/cli.js';
import type { Deps } from '../../src/deps.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'osconsole.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
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
}

/** Runs main() in-process with captured streams (fast; for parsing and output rules). */
export async function runMain(args: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const out = capture(opts.tty ?? false);
  const err = capture(opts.tty ?? false);
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
  stdin.end(opts.input ?? '');
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
  };
  const code = await main(args, deps);
  return { code, stdout: out.text, stderr: err.text };
}

function capture(isTTY: boolean) {
  return {
    text: '',
    isTTY,
    columns: 100,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

export interface PtyStep {
  expect: string;
  send: string;
}

/** Runs the binary in a pseudo-terminal (stdin and stdout are TTYs), answering prompts. */
export function runPty(
  args: string[],
  steps: PtyStep[],
  env: Record<string, string>,
  timeoutS = 20,
): Promise<CliResult & { failedStep: number | null }> {
  const spec = {
    argv: [process.execPath, BIN, ...args],
    env: { TERM: 'xterm', ...env },
    cwd: ROOT,
    steps,
    timeout: timeoutS,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [join(ROOT, 'test', 'helpers', 'tty_driver.py'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const r = JSON.parse(out) as { code: number; output: string; failed_step: number | null };
        resolve({ code: r.code, stdout: r.output, stderr: '', failedStep: r.failed_step });
      } catch {
        reject(new Error(`pty helper failed: ${err || out}`));
      }
    });
  });
}
