/**
 * Options backed by environment variables.
 *
 * Commander's own Option.env() reads process.env during parsing; osconsole reads
 * the injected environment instead (so main() can run in-process with any env),
 * and applies it after parsing, only where the command line gave no value:
 * flags > environment > defaults/config.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { truthy } from '../config/settings.js';
import { usageError } from '../errors.js';
import type { Env } from '../deps.js';

const ENV_VARS = new WeakMap<Option, string[]>();

/** An option with one or more environment variables (first set one wins), shown in --help. */
export function envOption(flags: string, description: string, envVars: string | string[]): Option {
  const vars = Array.isArray(envVars) ? envVars : [envVars];
  const option = new Option(flags, `${description} (env: ${vars.join(', ')})`);
  ENV_VARS.set(option, vars);
  return option;
}

/** Fills options of `cmd` and its ancestors that the command line left unset from `env`. */
export function applyEnvDefaults(cmd: Command, env: Env): void {
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const option of c.options) {
      const vars = ENV_VARS.get(option);
      if (!vars) continue;
      const name = option.attributeName();
      const source = c.getOptionValueSource(name);
      if (source === 'cli') continue;
      const found = vars.find((v) => env[v] !== undefined && env[v] !== '');
      if (!found) continue;
      const raw = env[found] as string;
      c.setOptionValueWithSource(name, parseEnvValue(option, raw, found), 'env');
    }
  }
}

function parseEnvValue(option: Option, raw: string, envVar: string): unknown {
  if (option.isBoolean()) return truthy(raw);
  if (option.parseArg) {
    try {
      return option.parseArg(raw, undefined);
    } catch (err) {
      throw usageError(`invalid value for ${envVar}: ${(err as Error).message}`);
    }
  }
  return raw;
}
