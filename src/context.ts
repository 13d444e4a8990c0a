/**
 * What a command's run function gets: the injected deps, the parsed global
 * options, the output module, and lazily created services (HTTP client,
 * session store, prompter). Heavy modules (undici, conf, @inquirer/prompts)
 * are imported only when a command actually uses them.
 */
import type { SessionStore } from './config/session-store.js';
import type { Deps } from './deps.js';
import type { HttpClient, TlsOptions } from './http/client.js';
import { Output } from './output/output.js';
import type { Prompter } from './ui/prompt.js';

export interface GlobalOptions {
  debug: boolean;
  color: boolean;
  /** Connect and response timeout, milliseconds. */
  timeoutMs: number;
}

export class Context {
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

  now(): number {
    return this.deps.now();
  }

  /** One client per TLS configuration, so connections are pooled within a run. */
  async http(tls: TlsOptions = {}): Promise<HttpClient> {
    const key = JSON.stringify(tls);
    let client = this.clients.get(key);
    if (!client) {
      const { HttpClient } = await import('./http/client.js');
      client = new HttpClient({
        timeoutMs: this.globals.timeoutMs,
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

  async dispose(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
