/**
 * What the global setups of the real-OpenStack tier's clouds (global-setup.ts
 * for Zed, global-setup-epoxy.ts for Epoxy) share: running their scripts, the
 * skip-or-fail gate, the "is it up" probe, and the teardown that leaves a
 * stack running when asked to (or when it was up before the run).
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { TestProject } from 'vitest/node';

export type Say = (msg: string) => void;

/** A logger with the cloud's tag, on stderr (vitest shows it as the setup runs). */
export function sayer(tag: string): Say {
  return (msg) => process.stderr.write(`[${tag}] ${msg}\n`);
}

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export async function listening(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a script of `dir` (bash, or Debian's python3 for .py: never a pyenv/venv
 * python3 from PATH; -P keeps the cwd off sys.path). stderr streams through
 * (progress), stdout is returned; a failure names the script and where its logs are.
 */
export function runScript(
  dir: string,
  script: string,
  opts: { args?: string[]; env?: NodeJS.ProcessEnv; logs: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, pre] = script.endsWith('.py') ? ['/usr/bin/python3', ['-P']] : ['bash', []];
    const child = spawn(cmd, [...pre, dir + script, ...(opts.args ?? [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...opts.env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`test/${basename(dir)}/${script} exited with ${code}; logs under ${opts.logs}`)),
    );
  });
}

/**
 * When the cloud cannot run here: every test of its project is skipped with the
 * reason, unless CI is set, where that is a failure (CI must never pass without
 * running the tier). Returns true when the setup should stop.
 */
export function skipped(project: TestProject, cloud: string, say: Say, reason: string | null): boolean {
  if (!reason) return false;
  if (process.env.CI) throw new Error(`${cloud} cannot run and CI is set, so this is a failure, not a skip: ${reason}`);
  process.stderr.write('\n');
  say(`skipped: ${reason}\n`);
  project.provide('realcloud', { skipped: reason });
  return true;
}

/**
 * The setup's teardown: stops the stack with `down`, unless
 * OSCONSOLE_REALCLOUD_KEEP is set or the stack was up before this run (then
 * whoever started it stops it).
 */
export function teardown(
  say: Say,
  opts: { wasUp: boolean; where: string; stopWith: string; down: () => Promise<unknown> },
): () => Promise<void> {
  const testsStart = Date.now();
  return async () => {
    say(`tests took ${secs(Date.now() - testsStart)}`);
    if (process.env.OSCONSOLE_REALCLOUD_KEEP && process.env.OSCONSOLE_REALCLOUD_KEEP !== '0') {
      say(`OSCONSOLE_REALCLOUD_KEEP is set: left running; ${opts.where}; stop with ${opts.stopWith}`);
      return;
    }
    if (opts.wasUp) {
      say(`the stack was up before this run: left running (stop with ${opts.stopWith})`);
      return;
    }
    const t = Date.now();
    await opts.down();
    say(`stopped in ${secs(Date.now() - t)}`);
  };
}
