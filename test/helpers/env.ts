/** A private HOME and config directory per test, and shortcuts to run the CLI in it. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { SessionFile } from '../../src/config/session-store.js';
import type { CliResult, InProcessOptions, PtyStep, RunOptions } from './cli.js';
import { cleanEnv, runCli, runMain, runPty, tempHome } from './cli.js';

export class TestEnv {
  readonly home: string;
  readonly configDir: string;
  private readonly cleanup: () => void;

  constructor() {
    const t = tempHome();
    this.home = t.home;
    this.cleanup = t.cleanup;
    this.configDir = join(this.home, 'osconsole');
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    return cleanEnv(this.home, extra);
  }

  run(
    args: string[],
    extraEnv: Record<string, string | undefined> = {},
    opts: Omit<RunOptions, 'env'> = {},
  ): Promise<CliResult> {
    return runCli(args, { ...opts, env: this.env(extraEnv) });
  }

  /** Like run(), but main() in-process: for cases where only the logic is under test, not the process. */
  main(
    args: string[],
    extraEnv: Record<string, string | undefined> = {},
    opts: Pick<InProcessOptions, 'input' | 'cwd' | 'tty' | 'sleep'> = {},
  ): Promise<CliResult> {
    return runMain(args, { ...opts, env: this.env(extraEnv), homedir: this.home });
  }

  pty(args: string[], steps: PtyStep[], extraEnv: Record<string, string | undefined> = {}) {
    return runPty(args, steps, this.env(extraEnv));
  }

  get sessionsPath(): string {
    return join(this.configDir, 'sessions.json');
  }

  sessions(): SessionFile {
    return JSON.parse(readFileSync(this.sessionsPath, 'utf8')) as SessionFile;
  }

  /** Writes a file under HOME (e.g. .config/openstack/clouds.yaml) and returns its path. */
  write(rel: string, text: string): string {
    const path = join(this.home, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  dispose(): void {
    this.cleanup();
  }
}

/** A fresh TestEnv for each test of the file. */
export function useTestEnv(): { readonly t: TestEnv } {
  const holder = {} as { t: TestEnv };
  beforeEach(() => {
    holder.t = new TestEnv();
  });
  afterEach(() => {
    holder.t.dispose();
  });
  return holder;
}
