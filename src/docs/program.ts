/**
 * The command tree outside a run, for `npm run docs` and the test that checks
 * the committed files: the CLI's own program, built with deps that go nowhere
 * (registering commands only stores them for later). A run's `completion`
 * command reads the tree of the program it is running instead.
 */
import { App } from '../cli/app.js';
import { buildProgram } from '../cli/program.js';
import type { Deps } from '../deps.js';
import type { CommandSpec } from './tree.js';
import { commandTree } from './tree.js';

const STUB_STREAM = { write: () => true, isTTY: false };

export function docsTree(): CommandSpec {
  const deps = {
    stdin: process.stdin,
    stdout: STUB_STREAM,
    stderr: STUB_STREAM,
    env: {},
    cwd: '/',
    homedir: '/',
    platform: 'linux',
    now: Date.now,
  } as unknown as Deps;
  return commandTree(buildProgram(new App(deps, [])));
}
