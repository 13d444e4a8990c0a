/**
 * Prompts, through @inquirer/prompts (imported only when a prompt is shown).
 * They read the injected stdin and draw on stderr, so stdout keeps only results.
 * Callers ask Context.prompter(), which gives none off a TTY or in CI: there a
 * missing value is an error naming its flag and variable, never a hang.
 */
import type { Streams } from '../output/output.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

export interface Prompter {
  text(message: string, options?: { default?: string }): Promise<string>;
  /** Masked input (passwords, secrets, passcodes). */
  secret(message: string): Promise<string>;
  select<T>(message: string, choices: Array<Choice<T>>): Promise<T>;
}

export function inquirerPrompter(streams: Streams): Prompter {
  const context = { input: streams.stdin, output: streams.stderr as NodeJS.WritableStream, clearPromptOnDone: false };
  return {
    async text(message, options = {}) {
      const { input } = await import('@inquirer/prompts');
      return input({ message, default: options.default, required: true }, context);
    },
    async secret(message) {
      const { password } = await import('@inquirer/prompts');
      return password({ message, mask: '*', validate: (v) => v.length > 0 || 'required' }, context);
    },
    async select(message, choices) {
      const { select } = await import('@inquirer/prompts');
      return select({ message, choices, pageSize: 12 }, context);
    },
  };
}
