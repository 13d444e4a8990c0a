/** Every command module, in the order `--help` lists them. */
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import * as completion from './completion.js';
import * as consoleCmd from './console.js';
import * as login from './login.js';
import * as logout from './logout.js';
import * as status from './status.js';

export interface CommandModule {
  register(parent: Command, app: App): void;
}

export const COMMANDS: CommandModule[] = [login, consoleCmd, status, logout, completion];
