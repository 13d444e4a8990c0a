/**
 * What a command's run function gets: the injected deps, the parsed global
 * options, the output module, and lazily created services (HTTP client,
 * session store, prompter). Heavy modules (undici, @inquirer/prompts)
 * are imported only when a command actually uses them.
 */
import type { Settings } from './config/resolve.js';
import type { SessionStore } from './config/session-store.js';
import type { Interaction, Runtime } from './core/runtime.js';
import type { Deps } from './deps.js';
import type { HttpClient } from './http/client.js';
import { Output } from './output/output.js';
import type { Prompter } from './ui/prompt.js';

export interface GlobalOptions {
  debug: boolean;
  color: boolean;
  /** Connect and response timeout, milliseconds. */
  timeoutMs: number;
}

export class Context implements Runtime {
  private readonly clients = new Map<string, HttpClient>();
  private store?: SessionStore;

  private constructor(
    readonly deps: Deps,
    readonly globals: GlobalOptions,
    readonly output: Output,
  ) {}

  static async create(deps: Deps, globals: GlobalOptions): Promise<Context> {
    const output = await Output.create(deps, deps.env, {
      color: globals.color,
      debug: globals.debug,
      platform: deps.platform,
    });
    return new Context(deps, globals, output);
  }

  get env(): Deps['env'] {
    return this.deps.env;
  }

  get timeoutMs(): number {
    return this.globals.timeoutMs;
  }

  now(): number {
    return this.deps.now();
  }

  debug(line: string): void {
    this.output.debug(line);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.deps.sleep) return this.deps.sleep(ms);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
    });
  }

  /** One client per TLS configuration and timeout, so connections are pooled within a run. */
  async http({ tls, timeoutMs }: Pick<Settings, 'tls' | 'timeoutMs'>): Promise<HttpClient> {
    const key = JSON.stringify([tls, timeoutMs]);
    let client = this.clients.get(key);
    if (!client) {
      const { HttpClient } = await import('./http/client.js');
      client = new HttpClient({
        timeoutMs,
        tls,
        env: this.deps.env,
        now: this.deps.now,
        sleep: this.deps.sleep,
        debug: this.globals.debug ? (line) => this.output.debug(line) : undefined,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** The session cache, opened on first use. */
  async sessions(): Promise<SessionStore> {
    if (!this.store) {
      const { SessionStore } = await import('./config/session-store.js');
      this.store = SessionStore.open(this.deps, (m) => this.output.warn(m));
    }
    return this.store;
  }

  /** A prompter when a person is at the terminal (stdin and stdout TTYs, not CI); otherwise none. */
  async prompter(): Promise<Prompter | undefined> {
    if (!this.output.canPrompt) return undefined;
    if (this.deps.prompter) return this.deps.prompter;
    const { inquirerPrompter } = await import('./ui/prompt.js');
    return inquirerPrompter(this.deps, { ascii: this.output.ascii });
  }

  /** The prompter (when a person is there) and warnings that cannot wait for the result, for the core. */
  async interaction(): Promise<Interaction> {
    return { prompter: await this.prompter(), notify: (m) => this.output.warn(m) };
  }

  async dispose(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
