/**
 * Where osconsole keeps its files. OSCONSOLE_CONFIG_DIR wins; otherwise the
 * standard per-user config directory for the name `osconsole`, as conf
 * (env-paths) computes it, but from the injected environment.
 */
import { join } from 'node:path';
import type { Env } from '../deps.js';

export interface PathContext {
  env: Env;
  homedir: string;
  platform: NodeJS.Platform;
}

export function configDir({ env, homedir, platform }: PathContext): string {
  if (env.OSCONSOLE_CONFIG_DIR) return env.OSCONSOLE_CONFIG_DIR;
  if (platform === 'darwin') return join(homedir, 'Library', 'Preferences', 'osconsole');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir, 'AppData', 'Roaming'), 'osconsole', 'Config');
  return join(env.XDG_CONFIG_HOME || join(homedir, '.config'), 'osconsole');
}

/** The session cache's base name: `sessions.json`, locked by `sessions.lock`. */
export const SESSIONS_NAME = 'sessions';
