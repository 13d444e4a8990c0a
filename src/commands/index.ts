/** Every command module, in the order `--help` lists them. */
import type { CommandModule } from '../cli/program.js';

export const COMMANDS: CommandModule[] = [];
