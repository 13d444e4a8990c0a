/**
 * virt-viewer connection files (`.vv`): what a spice-direct proxy returns and
 * what `remote-viewer` reads. Facts (virt-viewer src/virt-viewer-file.c, man
 * remote-viewer; GLib's GKeyFile syntax, which virt-viewer loads it with):
 * - a `[virt-viewer]` group with at least `type`, else "Invalid file";
 * - integer keys: port, tls-port, fullscreen, enable-smartcard, enable-usbredir,
 *   color-depth, enable-usb-autoshare, delete-this-file;
 * - string values unescape `\s \n \t \r \\` (so `ca`, a PEM, is one line with
 *   `\n` in it); `#` starts a comment line; extension keys start with `x-`.
 * The password in it is a secret: `redactVv` is what --debug may show.
 */

export const VV_GROUP = 'virt-viewer';

/** One file: groups in order, each with its keys in order (values unescaped). */
export type VvFile = Map<string, Map<string, string>>;

const INTEGER_KEYS = new Set([
  'port',
  'tls-port',
  'fullscreen',
  'enable-smartcard',
  'enable-usbredir',
  'color-depth',
  'enable-usb-autoshare',
  'delete-this-file',
]);
/** Keys that hold secrets: never shown in logs. */
const SECRET_KEYS = new Set(['password']);

export class VvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VvError';
  }
}

/** Parses a file and checks what remote-viewer requires (the group, `type`, integer keys). */
export function parseVv(text: string): VvFile {
  const file: VvFile = new Map();
  let group: Map<string, string> | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      const name = header[1] as string;
      group = file.get(name) ?? new Map();
      file.set(name, group);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new VvError(`line ${i + 1} is neither a [group], a key=value nor a comment`);
    if (!group) throw new VvError(`line ${i + 1} has a key before any [group]`);
    group.set(line.slice(0, eq).trimEnd(), unescapeValue(line.slice(eq + 1).trimStart()));
  });
  const vv = file.get(VV_GROUP);
  if (!vv) throw new VvError(`no [${VV_GROUP}] group`);
  if (!vv.get('type')) throw new VvError(`no "type" in [${VV_GROUP}]`);
  for (const [key, value] of vv) {
    if (INTEGER_KEYS.has(key) && !/^-?\d+$/.test(value)) throw new VvError(`"${key}" is not an integer: ${value}`);
  }
  return file;
}

/** The `[virt-viewer]` group's keys of a parsed file. */
export function vvEntries(file: VvFile): Map<string, string> {
  return file.get(VV_GROUP) ?? new Map();
}

/** Writes one `[virt-viewer]` group; undefined values are left out. */
export function formatVv(entries: Iterable<[string, string | number | undefined]>): string {
  const lines = [`[${VV_GROUP}]`];
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    if (!/^[A-Za-z0-9-]+$/.test(key)) throw new VvError(`not a key name: ${key}`);
    lines.push(`${key}=${escapeValue(String(value))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The file with secret values replaced, for --debug. */
export function redactVv(text: string): string {
  return text.replace(/^(\s*)([A-Za-z0-9-]+)(\s*=).*$/gm, (line, pad: string, key: string, eq: string) =>
    SECRET_KEYS.has(key) ? `${pad}${key}${eq}***` : line,
  );
}

/** GKeyFile string escapes (g_key_file_parse_value_as_string). */
function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, (all, c: string) => ESCAPES[c] ?? all);
}

const ESCAPES: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** The inverse: a leading space would be trimmed, newlines would end the value. */
function escapeValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r')
    .replace(/^ /, '\\s');
}
