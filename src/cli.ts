/**
 * main(argv, deps) → exit status. The only place that turns errors into exit
 * statuses; it never calls process.exit, so tests can run it in-process.
 */
import { App } from './cli/app.js';
import { buildProgram } from './cli/program.js';
import type { Deps } from './deps.js';
import { EXIT } from './errors.js';
import { withWaitDefault } from './cli/duration.js';

export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  const app = new App(deps, argv);
  try {
    // A bare `osconsole` shows the help (on stdout, exit 0), as `--help` does.
    await buildProgram(app).parseAsync(argv.length === 0 ? ['--help'] : withWaitDefault(argv), { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    return await app.fail(err);
  } finally {
    await app.dispose();
  }
}
