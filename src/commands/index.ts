/** Every command module, in the order `--help` lists them. */
import type { CommandModule } from '../cli/program.js';
import * as completion from './completion.js';
import * as consoleCmd from './console.js';
import * as login from './login.js';
import * as logout from './logout.js';
import * as status from './status.js';

export const COMMANDS: CommandModule[] = [login, consoleCmd, status, logout, completion];
