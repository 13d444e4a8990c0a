/**
 * Prompts, through @inquirer/prompts (imported only when a prompt is shown).
 * They read the injected stdin and draw on stderr, so stdout keeps only results.
 * Callers ask Context.prompter(), which gives none off a TTY or in CI: there a
 * missing value is an error naming its flag and variable, never a hang.
 * Messages and choices often carry cloud text (project and server names), so
 * they are escaped as the Output module escapes everything it writes.
 */
import { escapeControls } from '../text.js';

/** Where prompts read and draw: the injected stdin and stderr (typed here, as deps.ts imports this module). */
interface PromptStreams {
  stdin: NodeJS.ReadableStream;
  stderr: { write(chunk: string): unknown };
}

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

/** Inquirer's marks and key names in ASCII, for a non-UTF-8 locale or TERM=dumb. */
const ASCII_THEME = { prefix: { idle: '?', done: 'OK' } };
const ASCII_KEYS: Record<string, string> = { '↑↓': 'up/down', '⏎': 'enter' };
const ASCII_SELECT_THEME = {
  ...ASCII_THEME,
  icon: { cursor: '>' },
  style: {
    keysHelpTip: (keys: Array<[string, string]>) =>
      keys.map(([k, action]) => `${ASCII_KEYS[k] ?? k} ${action}`).join(', '),
  },
};

export function inquirerPrompter(streams: PromptStreams, options: { ascii?: boolean } = {}): Prompter {
  const context = { input: streams.stdin, output: streams.stderr as NodeJS.WritableStream, clearPromptOnDone: false };
  const theme = options.ascii ? ASCII_THEME : undefined;
  return {
    async text(message, opts = {}) {
      const { input } = await import('@inquirer/prompts');
      return input({ message: escapeControls(message), default: opts.default, required: true, theme }, context);
    },
    async secret(message) {
      const { password } = await import('@inquirer/prompts');
      return password(
        { message: escapeControls(message), mask: '*', validate: (v) => v.length > 0 || 'required', theme },
        context,
      );
    },
    async select(message, choices) {
      const { select } = await import('@inquirer/prompts');
      const safe = choices.map((c) => ({
        ...c,
        name: escapeControls(c.name),
        description: c.description === undefined ? undefined : escapeControls(c.description),
      }));
      return select(
        {
          message: escapeControls(message),
          choices: safe,
          pageSize: 12,
          theme: options.ascii ? ASCII_SELECT_THEME : undefined,
        },
        context,
      );
    },
  };
}
