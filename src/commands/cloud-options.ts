/**
 * The --os-* flags, mirroring the OS_* variables (config/settings.ts). They
 * are read only where the user typed them: the environment and clouds.yaml are
 * layered under them by config/resolve.ts, not by commander.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { Values } from '../config/cloud-config.js';
import type { Selection } from '../config/resolve.js';
import type { SettingKey } from '../config/settings.js';
import { SETTINGS, attributeOf } from '../config/settings.js';
import type { Context } from '../context.js';

/** Settings listed in the help of commands that use a session (the rest are accepted, not listed). */
const SESSION_HELP: ReadonlySet<SettingKey> = new Set([
  'region_name',
  'interface',
  'compute_api_version',
  'cacert',
  'insecure',
  'auth_url',
]);

export function addCloudOptions(cmd: Command, help: 'all' | 'session'): Command {
  cmd.addOption(
    new Option('--os-cloud <name>', 'cloud from clouds.yaml, or the cached session to use (env: OS_CLOUD)'),
  );
  for (const st of SETTINGS) {
    const flags = st.arg ? `${st.flag} <${st.arg}>` : st.flag;
    const option = new Option(flags, `${st.description} (env: ${st.env.join(', ')})`);
    if (help === 'session' && !SESSION_HELP.has(st.key)) option.hideHelp();
    if (st.key === 'default_domain_id' || st.key === 'default_domain_name' || st.key === 'identity_api_version')
      option.hideHelp();
    cmd.addOption(option);
  }
  return cmd;
}

/** The flags the user actually typed, as setting values, plus --os-cloud. */
export function selectionOf(cmd: Command, ctx: Context): Selection {
  const opts = cmd.opts<Record<string, unknown>>();
  const flags: Values = {};
  for (const st of SETTINGS) {
    const attr = attributeOf(st);
    if (cmd.getOptionValueSource(attr) !== 'cli') continue;
    const v = opts[attr];
    flags[st.key] = String(v);
  }
  for (const st of SETTINGS) {
    if (st.secret && flags[st.key] !== undefined) {
      ctx.output.warn(`${st.flag} is visible to other users in the process list; prefer the prompt or ${st.env[0]}`);
    }
  }
  const cloud = cmd.getOptionValueSource('osCloud') === 'cli' ? (opts.osCloud as string) : undefined;
  return { cloud, flags };
}
