/**
 * Running the native viewer: `remote-viewer` (virt-viewer) by default,
 * `--viewer CMD` or $OSCONSOLE_SPICE_VIEWER otherwise (split on spaces, as
 * $BROWSER is). A SPICE connection file goes in on stdin (`remote-viewer -`,
 * man remote-viewer: "If URI is '-' the connection file is read from
 * standard input"), so its password never touches the disk. The viewer's own
 * output goes to stderr: stdout is for results.
 */
import { spawn } from 'node:child_process';
import type { Deps } from '../deps.js';
import { OsconsoleError, usageError } from '../errors.js';

export const DEFAULT_VIEWER = 'remote-viewer';
/** After a stop, how long the viewer gets between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 2000;

export interface ViewerChoice {
  argv: string[];
  /** Where it came from, for messages. */
  from: '--viewer' | 'OSCONSOLE_SPICE_VIEWER' | 'default';
}

export function chooseViewer(env: Deps['env'], flag: string | undefined): ViewerChoice {
  const [raw, from] =
    flag !== undefined
      ? [flag, '--viewer' as const]
      : env.OSCONSOLE_SPICE_VIEWER
        ? [env.OSCONSOLE_SPICE_VIEWER, 'OSCONSOLE_SPICE_VIEWER' as const]
        : [DEFAULT_VIEWER, 'default' as const];
  const argv = raw.trim().split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw usageError(`${from} is empty: give a viewer command such as remote-viewer`);
  return { argv, from };
}

/**
 * remote-viewer on Linux needs a display; saying so before any request beats
 * its "cannot open display". A viewer of the user's choice may not need one.
 */
export function checkDisplay(deps: Pick<Deps, 'env' | 'platform'>, viewer: ViewerChoice): void {
  if (viewer.from !== 'default' || deps.platform !== 'linux') return;
  if (deps.env.DISPLAY || deps.env.WAYLAND_DISPLAY) return;
  throw usageError(
    'no display for remote-viewer (DISPLAY and WAYLAND_DISPLAY are unset)',
    'write the connection file with --vv FILE or --print and open it where there is a display',
  );
}

export interface ViewerRun {
  /** Resolves with the viewer's exit: 0, or throws OsconsoleError saying how it failed. */
  exited: Promise<void>;
  /** Ends the viewer (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

/** Starts the viewer with `args` after its own; `input` is written to its stdin. Rejects if it cannot start. */
export function startViewer(
  deps: Pick<Deps, 'stderr' | 'env'>,
  viewer: ViewerChoice,
  args: string[],
  input?: string,
): Promise<ViewerRun> {
  const [command, ...own] = viewer.argv as [string, ...string[]];
  const child = spawn(command, [...own, ...args], {
    env: deps.env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => deps.stderr.write(chunk));
  let stopping = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? usageError(
              `${command} not found (${viewer.from})`,
              viewer.from === 'default'
                ? 'install virt-viewer, or use --viewer CMD, or --vv FILE / --print for the file'
                : undefined,
            )
          : new OsconsoleError('E_UNEXPECTED', `could not start ${command}: ${err.message}`, { cause: err }),
      );
    });
    child.once('spawn', () => {
      if (input !== undefined) {
        child.stdin?.on('error', () => undefined); // a viewer that exits without reading
        child.stdin?.end(input);
      }
      const exited = exit.then(({ code, signal }) => {
        if (code === 0 || stopping) return;
        throw new OsconsoleError(
          'E_UNEXPECTED',
          `${command} exited with ${signal ? `signal ${signal}` : `status ${code}`}`,
        );
      });
      exited.catch(() => undefined);
      resolve({
        exited,
        stop: async () => {
          stopping = true;
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
          await exit;
          clearTimeout(timer);
        },
      });
    });
  });
}
