/**
 * The live command tree as plain data, for the completion scripts and the man
 * page: read from the same commander program the CLI runs, so they cannot
 * drift from it (a test also compares the committed files with a fresh run).
 * The program is passed in (the running one, or docs/program.ts's), so this
 * module never imports the CLI that imports it.
 */
import type { Argument, Command, Option } from 'commander';
import { AUTH_TYPES } from '../auth/auth-types.js';

export interface OptionSpec {
  flags: string;
  long?: string;
  short?: string;
  /** The placeholder of an option that takes a value (`<type>`), else undefined. */
  value?: string;
  choices?: string[];
  description: string;
  hidden: boolean;
}

export interface ArgumentSpec {
  name: string;
  required: boolean;
  description: string;
}

export interface CommandSpec {
  /** Words after `osconsole` ([] for the root). */
  path: string[];
  description: string;
  usage: string;
  hidden: boolean;
  args: ArgumentSpec[];
  options: OptionSpec[];
  commands: CommandSpec[];
}

/** Dynamic values an option or argument completes to (computed by `osconsole __complete`). */
export const DYNAMIC: Record<string, 'clouds' | 'regions' | 'servers' | 'files'> = {
  '--os-cloud': 'clouds',
  '--os-region-name': 'regions',
  '--os-cacert': 'files',
  '--os-cert': 'files',
  '--os-key': 'files',
  'console get <server>': 'servers',
};

/** Fixed values for options that accept more than commander's choices check (e.g. publicURL). */
export const FIXED: Record<string, string[]> = {
  '--os-interface': ['public', 'internal', 'admin'],
  '--os-auth-type': AUTH_TYPES,
  '--os-system-scope': ['all'],
  'completion <shell>': ['bash', 'zsh', 'fish'],
};

export function commandTree(program: Command): CommandSpec {
  return describe(program, []);
}

function describe(cmd: Command, path: string[]): CommandSpec {
  const hidden = (cmd as unknown as { _hidden?: boolean })._hidden === true;
  const options: OptionSpec[] = cmd.options.map(optionSpec);
  // commander adds --help lazily; list it like any option.
  const help = cmd
    .createHelp()
    .visibleOptions(cmd)
    .find((o) => o.long === '--help');
  if (help && !options.some((o) => o.long === '--help')) options.push(optionSpec(help));
  return {
    path,
    description: cmd.description(),
    usage: cmd.usage(),
    hidden,
    args: (cmd.registeredArguments as readonly Argument[]).map((a) => ({
      name: a.name(),
      required: a.required,
      description: a.description,
    })),
    options,
    commands: cmd.commands.map((c) => describe(c, [...path, c.name()])),
  };
}

function optionSpec(o: Option): OptionSpec {
  const value = /<([^>]+)>|\[([^\]]+)\]/.exec(o.flags);
  return {
    flags: o.flags,
    long: o.long,
    short: o.short,
    value: value ? (value[1] ?? value[2]) : undefined,
    choices: o.argChoices ? [...o.argChoices] : undefined,
    description: o.description,
    hidden: o.hidden,
  };
}

/** Every command in the tree, depth first, the root first. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** The completions of an option's value, if any. */
export function valuesOf(o: OptionSpec): { fixed?: string[]; dynamic?: string } {
  if (o.choices) return { fixed: o.choices };
  const key = o.long ?? o.short ?? '';
  if (FIXED[key]) return { fixed: FIXED[key] };
  if (DYNAMIC[key]) return { dynamic: DYNAMIC[key] };
  return {};
}
