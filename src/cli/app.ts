/**
 * The glue between commander and the rest: builds the Context for the command
 * being run, and turns any error into one line on stderr and an exit status.
 */
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { Context } from '../context.js';
import type { GlobalOptions } from '../context.js';
import type { Deps } from '../deps.js';
import { EXIT, OsconsoleError, isOsconsoleError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS } from '../http/defaults.js';
import { redactText } from '../http/redact.js';
import { Output } from '../output/output.js';
import { truthy } from '../config/settings.js';
import { applyEnvDefaults } from './options.js';

export type RunFn<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<void>;

/** Advice for an unknown option of one command (a flag from another tool), or undefined. */
export type OptionAdvisor = (flag: string) => Promise<string | undefined>;

export class App {
  private context?: Context;
  private advice?: { flag: string; advisor: OptionAdvisor };

  constructor(
    readonly deps: Deps,
    private readonly argv: readonly string[],
  ) {}

  /**
   * Wraps a command's run function as a commander action: commander passes the
   * positional arguments, then the options object, then the Command itself,
   * and the run function gets the same after the Context.
   */
  action<A extends unknown[]>(run: RunFn<A>): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      applyEnvDefaults(cmd, this.deps.env);
      const ctx = await this.contextFor(cmd);
      await run(ctx, ...(args as A));
    };
  }

  /**
   * Lets `cmd` answer an unknown option with advice ("use --type novnc")
   * instead of commander's suggestion; the advisor may import what it needs.
   */
  adviseUnknownOptions(cmd: Command, advisor: OptionAdvisor): void {
    cmd.exitOverride((err) => {
      const flag = /unknown option '([^']+)'/.exec(err.message)?.[1];
      if (err.code === 'commander.unknownOption' && flag) this.advice = { flag, advisor };
      throw err;
    });
  }

  private async contextFor(cmd: Command): Promise<Context> {
    if (!this.context) this.context = await Context.create(this.deps, globalsOf(cmd));
    return this.context;
  }

  /** Prints `err` as one line on stderr (a stack trace too with --debug) and returns its exit status. */
  async fail(err: unknown): Promise<number> {
    if (err instanceof CommanderError) return this.failCommander(err);
    const output = this.context?.output ?? (await this.fallbackOutput());
    const error = toOsconsoleError(err);
    // Defence in depth: no error line shows a URL's password or a console token.
    output.error(redactText(error.line));
    if (output.debugEnabled) {
      const stack = error.code === 'E_UNEXPECTED' && !isOsconsoleError(err) ? err : (error.cause ?? error);
      output.debug(stack instanceof Error ? (stack.stack ?? stack.message) : String(stack));
    } else if (error.code === 'E_UNEXPECTED' && !isOsconsoleError(err)) {
      output.info('Run again with --debug for details.');
    }
    return error.exitCode;
  }

  private async failCommander(err: CommanderError): Promise<number> {
    // --help and --version "fail" with exit code 0 after printing.
    if (err.exitCode === 0) return EXIT.OK;
    if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') return EXIT.USAGE;
    const output = this.context?.output ?? (await this.fallbackOutput());
    const advice = err.code === 'commander.unknownOption' ? await this.advice?.advisor(this.advice.flag) : undefined;
    if (advice) {
      output.error(`unknown option '${this.advice?.flag}'; ${advice}`);
      return EXIT.USAGE;
    }
    // Commander may add a second line ("(Did you mean …?)"); keep the error to one.
    const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    output.error(`${message} (see 'osconsole --help')`);
    return EXIT.USAGE;
  }

  /** When parsing failed before any action ran, the global flags are read from argv directly. */
  private fallbackOutput(): Promise<Output> {
    return Output.create(this.deps, this.deps.env, {
      color: !this.argv.includes('--no-color'),
      debug: this.argv.includes('--debug') || truthy(this.deps.env.OSCONSOLE_DEBUG),
      platform: this.deps.platform,
    });
  }

  async dispose(): Promise<void> {
    await this.context?.dispose();
  }
}

function globalsOf(cmd: Command): GlobalOptions {
  const opts = cmd.optsWithGlobals<{ debug?: boolean; color?: boolean; timeout?: number }>();
  return {
    debug: opts.debug ?? false,
    color: opts.color ?? true,
    timeoutMs: opts.timeout === undefined ? DEFAULT_TIMEOUT_MS : Math.round(opts.timeout * 1000),
  };
}

export function toOsconsoleError(err: unknown): OsconsoleError {
  if (isOsconsoleError(err)) return err;
  // @inquirer/prompts throws ExitPromptError on Ctrl-C or a closed terminal.
  if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
    return new OsconsoleError('E_CANCELLED', 'cancelled', { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new OsconsoleError('E_UNEXPECTED', `unexpected error: ${message}`, { cause: err });
}
