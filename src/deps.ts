/**
 * Everything osconsole takes from the outside world, injected so that tests can
 * run `main()` in-process with their own streams, environment and clock.
 * Only bin/osconsole.js calls createDeps().
 */
import { homedir } from 'node:os';
import type { Prompter } from './ui/prompt.js';

/** The environment variables osconsole reads: process.env in the binary, a plain object in tests. */
export type Env = Record<string, string | undefined>;

export interface WritableLike {
  /** Text of ours, or a console's bytes as they came (console attach). */
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ReadableLike extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

export interface Streams {
  stdin: ReadableLike;
  stdout: WritableLike;
  stderr: WritableLike;
}

export interface Deps extends Streams {
  env: Env;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Waits between HTTP retries; tests record the waits instead of sleeping them. */
  sleep?: (ms: number) => Promise<void>;
  /** Opens a URL in the user's browser; replaced by a recorder in tests. */
  openBrowser?: (url: string) => Promise<void>;
  /** Replaces the terminal prompts (tests); used only where prompting is allowed. */
  prompter?: Prompter;
  /** Handles a signal until the returned function is called (the binary: process.on; in-process tests: none). */
  onSignal?: (signal: NodeJS.Signals, handler: () => void) => () => void;
}

export function createDeps(): Deps {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    homedir: homedir(),
    platform: process.platform,
    now: Date.now,
    onSignal: (signal, handler) => {
      process.on(signal, handler);
      return () => process.off(signal, handler);
    },
  };
}
