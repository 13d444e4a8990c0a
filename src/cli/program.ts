/**
 * The command tree: the root program with its global options, and one
 * `register()` per command module. Registering is cheap; a command's real work
 * is imported only when it runs, which keeps `--help` and `--version` fast.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXIT_STATUS_TABLE } from '../errors.js';
import { VERSION } from '../version.js';
import type { App } from './app.js';
import { envOption } from './options.js';
import { COMMANDS } from '../commands/index.js';

export function buildProgram(app: App): Command {
  const program = new Command('osconsole');
  program
    .description("Get to an OpenStack server's console in one command.")
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void app.deps.stdout.write(s),
      writeErr: (s) => void app.deps.stderr.write(s),
      // Usage errors are printed by App.fail() as one line, not by commander.
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    .addOption(
      envOption(
        '--debug',
        'log requests and responses (credentials redacted) and stack traces to stderr',
        'OSCONSOLE_DEBUG',
      ),
    )
    .addOption(new Option('--no-color', 'never colour the output (NO_COLOR and TERM=dumb do the same)'))
    .addOption(
      envOption(
        '--timeout <seconds>',
        'connect and response timeout for each request, 0.001 to 86400 (default: 30)',
        'OSCONSOLE_TIMEOUT',
      ).argParser(parseTimeout),
    );

  for (const command of COMMANDS) command.register(program, app);

  program.addHelpText('after', rootHelpFooter);
  return program;
}

/** Longest --timeout: one day. Longer is a typo, and undici refuses timers above 2^31-1 ms. */
export const MAX_TIMEOUT_S = 86_400;

/**
 * Seconds as a plain decimal (30, 1.5, .5; no exponent, sign or hex), from
 * 1 ms to a day; the caller rounds to whole milliseconds (undici takes integers only).
 */
export function parseTimeout(value: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(v) || !(n >= 0.001 && n <= MAX_TIMEOUT_S)) {
    throw new InvalidArgumentError(`expected a positive number of seconds, between 0.001 and ${MAX_TIMEOUT_S}`);
  }
  return n;
}

function rootHelpFooter(): string {
  const rows = EXIT_STATUS_TABLE.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join('\n');
  return `
Examples:
  $ osconsole login --os-cloud mycloud          # or: source openrc.sh && osconsole login
  $ osconsole console get web-1                 # prints the noVNC URL
  $ osconsole console get web-1 --open          # and opens it in the browser
  $ osconsole console get web-1 --type serial --json | jq -r .url
  $ osconsole console inspect "$URL"            # admins: host and port behind a token
  $ osconsole status

Environment:
  OS_CLOUD, OS_AUTH_URL, OS_*  credentials and cloud selection, as in openrc files;
                        each --os-* flag names its variable in 'osconsole login --help'
  OSCONSOLE_CONFIG_DIR  directory of the session cache (default: the user config dir)
  OSCONSOLE_DEBUG       same as --debug
  OSCONSOLE_TIMEOUT     same as --timeout
  NO_COLOR              disable colour (so do --no-color and TERM=dumb)
  LC_ALL, LC_CTYPE, LANG  a non-UTF-8 locale (or TERM=dumb) gets ASCII tables and marks
  BROWSER               the browser for --open; none disables it

Exit status:
${rows}
`;
}
