/**
 * The man page, osconsole(1): the command tree (synopsis, commands, options)
 * plus hand-written sections (description, environment, files, exit status,
 * examples, security). `man -l man/osconsole.1` renders it; a test checks it
 * is current and that `groff -ww` has nothing to say about it.
 */
import { SETTINGS, SELECTOR_VARS } from '../config/settings.js';
import { EXIT_STATUS_TABLE } from '../errors.js';
import type { CommandSpec, OptionSpec } from './tree.js';
import { allCommands } from './tree.js';

/** roff-safe text: backslashes, and a dot or quote at the start of a line. */
function esc(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function para(text: string): string {
  return `.PP\n${esc(text)}\n`;
}

function option(o: OptionSpec): string {
  const names = [o.short, o.long]
    .filter(Boolean)
    .map((n) => `\\fB${esc(n as string)}\\fR`)
    .join(', ');
  const value = o.value ? ` \\fI${esc(o.value)}\\fR` : '';
  const choices = o.choices ? ` One of: ${o.choices.join(', ')}.` : '';
  return `.TP\n${names}${value}\n${esc(o.description)}${esc(choices)}\n`;
}

function usageLine(c: CommandSpec): string {
  return `\\fBosconsole ${esc(c.path.join(' '))}\\fR ${esc(c.usage)}`;
}

const ENV_EXTRA: Array<[string, string]> = [
  ['OS_CLOUD', 'The clouds.yaml cloud, or the cached session, to use (as --os-cloud).'],
  ['OS_CLOUD_NAME', 'The name of the cloud made from OS_* variables (default: envvars).'],
  ['OS_CLIENT_CONFIG_FILE', 'A clouds.yaml to read before the standard locations.'],
  ['OS_CLIENT_SECURE_FILE', 'A secure.yaml to read before the standard locations.'],
  [
    'OSCONSOLE_CONFIG_DIR',
    'The directory of the session cache (default: $XDG_CONFIG_HOME/osconsole, ~/.config/osconsole).',
  ],
  ['OSCONSOLE_DEBUG', 'As --debug.'],
  [
    'OSCONSOLE_NO_CODE_CACHE',
    "When 1, console get, status and --help load like other commands, without the V8 code cache kept in the config directory's cache/.",
  ],
  [
    'OSCONSOLE_BOOT_TRACE',
    'When set, a line on stderr says how the CLI was loaded (code cache or not) and how long it took.',
  ],
  ['OSCONSOLE_TIMEOUT', 'As --timeout.'],
  [
    'HTTPS_PROXY, HTTP_PROXY, NO_PROXY',
    'The proxy for HTTPS, and for HTTP, requests (either case, lower case first; no scheme means http://), and the hosts that bypass them: names (a leading dot is allowed), host:port, IP addresses, CIDR blocks such as 10.0.0.0/8 or ::1/128, or * for all.',
  ],
  ['BROWSER', 'The browser for --open; none disables it.'],
  [
    'NO_COLOR',
    'Disables colour when set to anything but the empty string; so do --no-color and TERM=dumb. FORCE_COLOR forces it on.',
  ],
  ['CI', 'When set (not 0 or false), osconsole never prompts.'],
  ['XDG_CONFIG_HOME', 'Base of the per-user configuration directories (osconsole, openstack).'],
];

const EXAMPLES: Array<[string, string]> = [
  [
    'Log in with a cloud from clouds.yaml, then get a noVNC URL:',
    'osconsole login \\-\\-os\\-cloud mycloud\nosconsole console get web\\-1',
  ],
  ['Log in from an openrc file:', 'source demo\\-openrc.sh && osconsole login'],
  ['A serial console URL for a script:', 'osconsole console get web\\-1 \\-\\-type serial \\-\\-json | jq \\-r .url'],
  ['Open the console in the browser:', 'osconsole console get web\\-1 \\-\\-open'],
  [
    'The host and ports behind a spice-direct console (admins):',
    'osconsole console get web\\-1 \\-\\-type spice\\-direct',
  ],
  ['What a console URL points at (admins):', 'osconsole console inspect "$URL"'],
];

export function manPage(tree: CommandSpec, version = ''): string {
  const out: string[] = [];
  out.push(`.TH OSCONSOLE 1 "" "osconsole${version ? ` ${version}` : ''}" "User Commands"`);
  out.push(".SH NAME\nosconsole \\- get to an OpenStack server's console in one command");
  out.push('.SH SYNOPSIS');
  const visible = allCommands(tree).filter((c) => !c.hidden && c.path.length > 0 && c.commands.length === 0);
  out.push(
    visible
      .map((c) => `.br\n${usageLine(c)}`)
      .join('\n')
      .replace(/^\.br\n/, ''),
  );
  out.push('.SH DESCRIPTION');
  out.push(
    para(
      'osconsole logs in to OpenStack Keystone once (password, application credential, token, TOTP with multi-factor receipts), keeps the scoped token in a cache only its owner can read, negotiates the Nova compute microversion, and prints or opens remote console URLs: noVNC, SPICE HTML5, spice-direct (with the host and ports behind it), serial and WebMKS.',
    ) +
      para(
        'Credentials come from command-line flags, then OS_* environment variables (openrc files), then clouds.yaml and secure.yaml, in that order of precedence.',
      ) +
      para(
        'Standard output carries the result only (a URL, JSON, a table); progress, prompts, warnings and errors go to standard error. Prompts appear only when standard input and output are terminals and CI is unset.',
      ),
  );
  out.push('.SH COMMANDS');
  for (const c of allCommands(tree).filter((x) => !x.hidden && x.path.length > 0)) {
    out.push(`.SS ${usageLine(c)}\n${esc(c.description)}`);
    const own = c.options.filter((o) => !o.hidden && o.long !== '--help');
    if (own.length) out.push(own.map(option).join(''));
  }
  out.push('.SH OPTIONS');
  out.push(
    tree.options
      .filter((o) => !o.hidden)
      .map(option)
      .join(''),
  );
  out.push('.SH ENVIRONMENT');
  const env: string[] = [];
  for (const st of SETTINGS)
    env.push(`.TP\n\\fB${esc(st.env.join(', '))}\\fR\n${esc(st.description)} (as ${esc(st.flag)}).\n`);
  for (const [name, text] of ENV_EXTRA) env.push(`.TP\n\\fB${esc(name)}\\fR\n${esc(text)}\n`);
  out.push(env.join(''));
  out.push(
    `.SH FILES\n.TP\n\\fI$OSCONSOLE_CONFIG_DIR/sessions.json\\fR\n${esc('The session cache (default ~/.config/osconsole/sessions.json): directory 0700, file 0600; tokens, their expiry, user, scope, roles, catalog endpoints and TLS file paths, never a password, passcode or secret.')}\n.TP\n\\fI$OSCONSOLE_CONFIG_DIR/servers.json\\fR\n${esc('Server names seen in the last day, for shell completion.')}\n.TP\n\\fIclouds.yaml\\fR, \\fIsecure.yaml\\fR\n${esc('Searched in OS_CLIENT_CONFIG_FILE (OS_CLIENT_SECURE_FILE), ./, $XDG_CONFIG_HOME/openstack/, ~/.config/openstack/ and /etc/openstack/, as clouds.yaml, clouds.yml or clouds.json; the first found wins and secure.yaml is merged over it.')}\n`,
  );
  out.push(`.SH EXIT STATUS\n${EXIT_STATUS_TABLE.map(([code, text]) => `.TP\n.B ${code}\n${esc(text)}\n`).join('')}`);
  out.push(`.SH EXAMPLES\n${EXAMPLES.map(([text, cmd]) => `${para(text)}.RS\n.nf\n${cmd}\n.fi\n.RE\n`).join('')}`);
  out.push(
    `.SH SECURITY\n${para('Tokens, receipts and console tokens in --debug output are replaced by a SHA-256 fingerprint. A session cache that other users can access, or that another user owns, is refused. --os-password works but is visible to other users in the process list: prefer the prompt or OS_PASSWORD. TLS certificates are verified unless --insecure is given, which warns every time.')}`,
  );
  out.push(
    `.SH SEE ALSO\n${esc('openstack(1), the OpenStack compute API reference (remote consoles, os-console-auth-tokens), and the README of osconsole.')}\n.PP\n${esc(`Variables that only select a cloud: ${SELECTOR_VARS.join(', ')}.`)}`,
  );
  return `${out.join('\n')}\n`;
}
