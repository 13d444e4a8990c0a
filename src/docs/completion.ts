/**
 * Shell completion scripts (bash, zsh, fish) generated from the live command
 * tree. Commands, options and fixed values (console types, interfaces, shells)
 * are written into the script, so completing them starts no process; cloud
 * names, regions and recently seen server names come from
 * `osconsole __complete`, which reads local files only (no network).
 */
import type { CommandSpec, OptionSpec } from './tree.js';
import { DYNAMIC, FIXED, allCommands, valuesOf } from './tree.js';

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: Shell[] = ['bash', 'zsh', 'fish'];

export function completionScript(shell: Shell, tree: CommandSpec): string {
  return { bash, zsh, fish }[shell](tree);
}

/** File names in completions/ for packagers. */
export const COMPLETION_FILES: Record<Shell, string> = {
  bash: 'osconsole.bash',
  zsh: '_osconsole',
  fish: 'osconsole.fish',
};

interface Model {
  /** "" for the root, "console get" for a subcommand. */
  keys: string[];
  subcommands: Map<string, string[]>;
  /** Options offered at each command (its own and the root's, which commander accepts anywhere). */
  options: Map<string, string[]>;
  /** The visible options offered at each command, as specs (fish describes each one). */
  offered: Map<string, OptionSpec[]>;
  valued: Map<string, string[]>;
  /** Value completions by option name. */
  values: Array<{ names: string[]; fixed?: string[]; dynamic?: string }>;
  /** The first positional argument's completions, by command. */
  positional: Map<string, { fixed?: string[]; dynamic?: string }>;
  descriptions: Map<string, string>;
}

function model(tree: CommandSpec): Model {
  const visible = allCommands(tree).filter((c) => !c.hidden);
  const root = tree.options.filter((o) => !o.hidden);
  const names = (opts: OptionSpec[]) => opts.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)));
  const m: Model = {
    keys: [],
    subcommands: new Map(),
    options: new Map(),
    offered: new Map(),
    valued: new Map(),
    values: [],
    positional: new Map(),
    descriptions: new Map(),
  };
  const seen = new Set<string>();
  for (const c of visible) {
    const key = c.path.join(' ');
    m.keys.push(key);
    m.descriptions.set(key, c.description);
    m.subcommands.set(
      key,
      c.commands.filter((s) => !s.hidden).map((s) => s.path[s.path.length - 1] as string),
    );
    const own = c.options.filter((o) => !o.hidden);
    const all = key === '' ? own : [...own, ...root.filter((o) => !own.some((x) => x.long === o.long))];
    m.offered.set(key, all);
    m.options.set(
      key,
      [...new Set(names(all.filter((o) => o.long !== undefined)))]
        .filter((n) => n.startsWith('--'))
        .concat(names(all).filter((n) => !n.startsWith('--'))),
    );
    // Hidden options still take values: the parser must skip them too.
    const everyOpt = key === '' ? c.options : [...c.options, ...tree.options];
    m.valued.set(key, [...new Set(names(everyOpt.filter((o) => o.value !== undefined)))]);
    for (const o of c.options) {
      const v = valuesOf(o);
      const optNames = names([o]);
      if ((v.fixed || v.dynamic) && !seen.has(optNames.join())) {
        seen.add(optNames.join());
        m.values.push({ names: optNames, ...v });
      }
    }
    const first = c.args[0];
    if (first) {
      const argKey = `${key} <${first.name}>`;
      if (FIXED[argKey]) m.positional.set(key, { fixed: FIXED[argKey] });
      else if (DYNAMIC[argKey]) m.positional.set(key, { dynamic: DYNAMIC[argKey] });
    }
  }
  return m;
}

const HEADER = (shell: Shell, install: string) =>
  `# ${shell} completion for osconsole. Generated from the command tree by \`osconsole completion ${shell}\`; do not edit.\n# Install: ${install}\n`;

function words(xs: string[] | undefined): string {
  return (xs ?? []).join(' ');
}

/** A shell `case` over command keys, printing a word list for each. */
function caseOf(map: Map<string, string[]>, keys: string[], indent = '    '): string {
  return keys
    .filter((k) => (map.get(k) ?? []).length > 0)
    .map((k) => `${indent}"${k}") echo "${words(map.get(k))}" ;;`)
    .join('\n');
}

/**
 * The three lookups both bash and zsh scripts use (same syntax in both): the
 * subcommands of a command path, the options offered there, and the options
 * there that take a value (so the parser can skip their values).
 */
function lookups(m: Model): string {
  const fn = (name: string, map: Map<string, string[]>) =>
    `_osconsole_${name}() {\n  case "$1" in\n${caseOf(map, m.keys)}\n  esac\n}\n`;
  return [fn('subcommands', m.subcommands), fn('options', m.options), fn('valued', m.valued)].join('\n');
}

/**
 * The loop both bash and zsh scripts run over the words before the cursor: it
 * sets `cmd` (the command path), `nargs` (arguments after it) and `cloud`
 * (`--os-cloud NAME`, passed on to `__complete`), skipping option values.
 */
function walk(array: string, first: number, cursor: string): string {
  return `  for ((i = ${first}; i < ${cursor}; i++)); do
    w="\${${array}[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --os-cloud) ((i + 1 < ${cursor})) && cloud="--os-cloud \${${array}[i+1]}"; skip=1 ;;
      --*=*) ;;
      -*) [[ " $(_osconsole_valued "$cmd") " == *" $w "* ]] && skip=1 ;;
      *)
        if [[ $nargs -eq 0 && " $(_osconsole_subcommands "$cmd") " == *" $w "* ]]; then
          cmd="\${cmd:+$cmd }$w"
        else
          nargs=$((nargs + 1))
        fi
        ;;
    esac
  done`;
}

function bash(tree: CommandSpec): string {
  const m = model(tree);
  const valueCases = m.values
    .map((v) => {
      const pattern = v.names.join('|');
      if (v.fixed) return `    ${pattern}) COMPREPLY=($(compgen -W "${words(v.fixed)}" -- "$cur")); return 0 ;;`;
      if (v.dynamic === 'files') return `    ${pattern}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;`;
      return `    ${pattern}) _osconsole_dynamic "$cur" "\${COMP_WORDS[0]}" __complete ${v.dynamic} $cloud; return 0 ;;`;
    })
    .join('\n');
  const positional = [...m.positional.entries()]
    .map(([k, v]) =>
      v.fixed
        ? `      "${k}") COMPREPLY=($(compgen -W "${words(v.fixed)}" -- "$cur")) ;;`
        : `      "${k}") _osconsole_dynamic "$cur" "\${COMP_WORDS[0]}" __complete ${v.dynamic} $cloud ;;`,
    )
    .join('\n');
  return `${HEADER('bash', 'osconsole completion bash > /etc/bash_completion.d/osconsole, or: source <(osconsole completion bash)')}
${lookups(m)}
# Values from \`osconsole __complete\`, one per line (server names may hold spaces and
# glob characters): matched literally, and quoted for the command line.
_osconsole_dynamic() {
  local cur="$1" line
  shift
  while IFS= read -r line; do
    [[ "$line" == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$line")")
  done < <("$@" 2>/dev/null)
}

_osconsole() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" cloud="" nargs=0 skip=0 i w
  COMPREPLY=()
${walk('COMP_WORDS', 1, 'COMP_CWORD')}
  case "$prev" in
${valueCases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_osconsole_options "$cmd")" -- "$cur"))
  elif [[ -n "$(_osconsole_subcommands "$cmd")" && $nargs -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$(_osconsole_subcommands "$cmd")" -- "$cur"))
  elif [[ $nargs -eq 0 ]]; then
    case "$cmd" in
${positional}
    esac
  fi
  return 0
}

complete -F _osconsole osconsole
`;
}

function zsh(tree: CommandSpec): string {
  const m = model(tree);
  const dyn = (what: string) => `compadd -- \${(f)"$(\${words[1]} __complete ${what} \${=cloud} 2>/dev/null)"}`;
  const valueCases = m.values
    .map((v) => {
      const pattern = v.names.join('|');
      if (v.fixed) return `    ${pattern}) compadd -- ${words(v.fixed)}; return ;;`;
      if (v.dynamic === 'files') return `    ${pattern}) _files; return ;;`;
      return `    ${pattern}) ${dyn(v.dynamic as string)}; return ;;`;
    })
    .join('\n');
  const positional = [...m.positional.entries()]
    .map(([k, v]) =>
      v.fixed ? `      "${k}") compadd -- ${words(v.fixed)} ;;` : `      "${k}") ${dyn(v.dynamic as string)} ;;`,
    )
    .join('\n');
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`;
  const described = m.keys
    .filter((k) => (m.subcommands.get(k) ?? []).length > 0)
    .map(
      (k) =>
        `    "${k}") subs=(${(m.subcommands.get(k) ?? []).map((sub) => quote(`${sub}:${m.descriptions.get(k ? `${k} ${sub}` : sub) ?? ''}`)).join(' ')}) ;;`,
    )
    .join('\n');
  return `#compdef osconsole
${HEADER('zsh', 'osconsole completion zsh > "${fpath[1]}/_osconsole" (then restart zsh)')}
${lookups(m)}
_osconsole() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local cmd="" cloud="" nargs=0 skip=0 i w opts
  local -a subs
${walk('words', 2, 'CURRENT')}
  case "$prev" in
${valueCases}
  esac
  if [[ "$cur" == -* ]]; then
    opts=$(_osconsole_options "$cmd")
    compadd -- \${=opts}
  elif [[ -n "$(_osconsole_subcommands "$cmd")" && $nargs -eq 0 ]]; then
    subs=()
    case "$cmd" in
${described}
    esac
    _describe command subs
  elif [[ $nargs -eq 0 ]]; then
    case "$cmd" in
${positional}
    esac
  fi
}

compdef _osconsole osconsole
`;
}

function fish(tree: CommandSpec): string {
  const m = model(tree);
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const lines: string[] = [];
  const cond = (key: string) => `'__osconsole_at "${key}"'`;
  for (const key of m.keys) {
    for (const sub of m.subcommands.get(key) ?? []) {
      const full = key ? `${key} ${sub}` : sub;
      lines.push(`complete -c osconsole -n ${cond(key)} -a ${sub} -d '${esc(m.descriptions.get(full) ?? '')}'`);
    }
  }
  for (const key of m.keys) {
    for (const o of m.offered.get(key) ?? []) {
      const parts = [`complete -c osconsole -n ${cond(key)}`];
      if (o.long) parts.push(`-l ${o.long.slice(2)}`);
      if (o.short) parts.push(`-s ${o.short.slice(1)}`);
      const v = valuesOf(o);
      // -x: takes a value and offers no file names; -r -F: a file name.
      if (o.value !== undefined) parts.push(v.dynamic === 'files' ? '-r -F' : '-x');
      if (v.fixed) parts.push(`-a '${v.fixed.join(' ')}'`);
      else if (v.dynamic && v.dynamic !== 'files') parts.push(`-a '(__osconsole_complete ${v.dynamic})'`);
      parts.push(`-d '${esc(o.description.replace(/ \(env: [^)]*\)$/, ''))}'`);
      lines.push(parts.join(' '));
    }
    const pos = m.positional.get(key);
    if (pos) {
      const source = pos.fixed ? pos.fixed.join(' ') : `(__osconsole_complete ${pos.dynamic})`;
      lines.push(`complete -c osconsole -n '__osconsole_at "${key}"; and __osconsole_no_args' -a '${source}'`);
    }
  }
  const valued = [...new Set([...m.valued.values()].flat())].join(' ');
  const commandWords = [...new Set([...m.subcommands.values()].flat())].join(' ');
  return `${HEADER('fish', 'osconsole completion fish > ~/.config/fish/completions/osconsole.fish')}
# The command path typed so far (options and their values skipped), and how many arguments follow it.
function __osconsole_parse
    set -l tokens (commandline -opc)
    set -l valued ${valued}
    set -l words ${commandWords}
    set -l cmd
    set -l nargs 0
    set -l skip 0
    for t in $tokens[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        if string match -q -- '--*=*' $t
            continue
        else if string match -q -- '-*' $t
            contains -- $t $valued; and set skip 1
        else if test $nargs -eq 0; and contains -- $t $words
            set cmd $cmd $t
        else
            set nargs (math $nargs + 1)
        end
    end
    echo (string join ' ' $cmd)
    echo $nargs
end

function __osconsole_at
    set -l parsed (__osconsole_parse)
    test "$parsed[1]" = "$argv[1]"
end

function __osconsole_no_args
    set -l parsed (__osconsole_parse)
    test "$parsed[2]" -eq 0
end

function __osconsole_complete
    set -l tokens (commandline -opc)
    set -l cloud
    set -l i (contains -i -- --os-cloud $tokens)
    and test $i -lt (count $tokens)
    and set cloud --os-cloud $tokens[(math $i + 1)]
    $tokens[1] __complete $argv $cloud 2>/dev/null
end

complete -c osconsole -f
${lines.join('\n')}
`;
}
