/**
 * Opening a URL in the user's browser. $BROWSER wins (none disables it, as
 * with Python's webbrowser and most CLIs); on Linux without a display nothing
 * is opened; otherwise the `open` package picks the platform's opener.
 */
import { spawn } from 'node:child_process';
import type { Deps } from '../deps.js';
import type { ConsoleType } from '../openstack/console-types.js';
import { CONSOLE_TYPES } from '../openstack/console-types.js';
import type { Output } from '../output/output.js';

export type OpenOutcome = 'opened' | 'disabled' | 'no-display' | 'failed';

/** `console get --open`: the page in the browser, or a line on stderr saying why not (the URL is on stdout). */
export async function openConsole(
  deps: Deps,
  out: Output,
  { type, url }: { type: ConsoleType; url: string },
): Promise<void> {
  const info = CONSOLE_TYPES[type];
  if (info.websocket) {
    out.info(
      `Not opening a browser: ${type} URLs are websockets, for a client such as websocat (websocat --binary '${url}')`,
    );
    return;
  }
  if (!info.browser) {
    out.info(`Not opening a browser: ${type} URLs are for a native ${info.protocol.toUpperCase()} client, not a page`);
    return;
  }
  const outcome = await openInBrowser(deps, url);
  if (outcome === 'opened') out.info('Opened the console in your browser.');
  else if (outcome === 'no-display') out.info('No display to open a browser on; the URL is on stdout.');
  else if (outcome === 'disabled') out.info('BROWSER=none: not opening a browser; the URL is on stdout.');
  else out.warn('could not start a browser; the URL is on stdout');
}

export async function openInBrowser(deps: Deps, url: string): Promise<OpenOutcome> {
  // An empty BROWSER is as good as unset.
  const browser = deps.env.BROWSER || undefined;
  if (browser === 'none') return 'disabled';
  if (deps.openBrowser) {
    await deps.openBrowser(url);
    return 'opened';
  }
  if (browser) return runBrowser(browser.split(':')[0] as string, url);
  if (deps.platform === 'linux' && !deps.env.DISPLAY && !deps.env.WAYLAND_DISPLAY) return 'no-display';
  try {
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    child.unref();
    return 'opened';
  } catch {
    return 'failed';
  }
}

/** `$BROWSER` is a command; `%s` in it stands for the URL, else the URL is appended. */
function runBrowser(command: string, url: string): Promise<OpenOutcome> {
  const parts = command.trim().split(/\s+/);
  const args = parts.slice(1).map((a) => a.replace('%s', url));
  if (!command.includes('%s')) args.push(url);
  return new Promise((resolve) => {
    const child = spawn(parts[0] as string, args, { stdio: 'ignore', detached: true });
    child.once('error', () => resolve('failed'));
    child.once('spawn', () => {
      child.unref();
      resolve('opened');
    });
  });
}
