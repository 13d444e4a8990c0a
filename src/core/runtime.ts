/**
 * What the core needs from the program that runs it, and nothing of the CLI:
 * the Context satisfies Runtime, and a command builds the Interaction. The
 * core returns its results with their warnings; it writes nothing itself.
 */
import type { SessionStore } from '../config/session-store.js';
import type { Settings } from '../config/resolve.js';
import type { Deps } from '../deps.js';
import type { HttpClient } from '../http/client.js';
import type { Prompter } from '../ui/prompt.js';

export interface Runtime {
  /** The environment and where files are (clouds.yaml, the session cache, the server-name cache). */
  readonly deps: Pick<Deps, 'env' | 'cwd' | 'homedir' | 'platform'>;
  /** --timeout, for the settings resolved from it. */
  readonly timeoutMs: number;
  now(): number;
  /** A client for these TLS settings and timeout, shared by the calls that use the same ones. */
  http(settings: Pick<Settings, 'tls' | 'timeoutMs'>): Promise<HttpClient>;
  sessions(): Promise<SessionStore>;
  /** A --debug line, in order with the HTTP trace. */
  debug(line: string): void;
  /** Waits between polls and reconnects (tests shorten it); an abort ends the wait early and frees its timer. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The person at the terminal, as far as the core may reach them while it works. */
export interface Interaction {
  /** Present only when a person can answer. */
  prompter?: Prompter;
  /** A warning that must come now, not with the result: before a prompt, or before credentials go out unverified. */
  notify(warning: string): void;
}
