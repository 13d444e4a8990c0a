/**
 * Shell completion and the man page: the committed files are what the
 * generators produce from the live command tree, the bash script completes in
 * a real bash, and the man page renders without groff warnings.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPLETION_FILES, SHELLS, completionScript } from '../../src/docs/completion.js';
import { manPage } from '../../src/docs/man.js';
import { docsTree } from '../../src/docs/program.js';
import { BIN, ROOT, expectExit } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';

const ctx = useSimulator();
const env = useTestEnv();
const tree = docsTree();

describe('committed files are current (run `npm run docs` after changing commands)', () => {
  for (const shell of SHELLS) {
    it(`completions/${COMPLETION_FILES[shell]}`, () => {
      expect(readFileSync(join(ROOT, 'completions', COMPLETION_FILES[shell]), 'utf8')).toBe(
        completionScript(shell, tree),
      );
    });
  }
  it('man/osconsole.1', () => {
    expect(readFileSync(join(ROOT, 'man', 'osconsole.1'), 'utf8')).toBe(manPage(tree));
  });
  it('`osconsole completion bash` prints the same script', async () => {
    const r = await env.t.run(['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(completionScript('bash', tree));
  });
});

/** Runs bash's completion for a command line (the cursor at its end) and returns COMPREPLY. */
function complete(line: string, extraEnv: Record<string, string> = {}): Promise<string[]> {
  const script = `
source ${JSON.stringify(join(ROOT, 'completions', 'osconsole.bash'))}
read -r -a COMP_WORDS <<< ${JSON.stringify(line)}
${line.endsWith(' ') ? 'COMP_WORDS+=("")' : ''}
COMP_WORDS[0]=${JSON.stringify(BIN)}
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_osconsole
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--norc', '-c', script], { env: env.t.env(extraEnv) });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) =>
      code === 0 ? resolve(out.split('\n').filter(Boolean).sort()) : reject(new Error(err)),
    );
  });
}

describe('bash completion in a real bash', () => {
  it('commands and subcommands', async () => {
    expect(await complete('osconsole con')).toEqual(['console']);
    expect(await complete('osconsole ')).toEqual(['completion', 'console', 'login', 'logout', 'status']);
    expect(await complete('osconsole console ')).toEqual([
      'attach',
      'check',
      'get',
      'inspect',
      'log',
      'tunnel',
      'view',
    ]);
    expect(await complete('osconsole --debug console i')).toEqual(['inspect']);
  });

  it('options, including the global ones, and fixed values', async () => {
    expect(await complete('osconsole console get web-1 --al')).toEqual(['--all-projects']);
    expect(await complete('osconsole console get web-1 --ti')).toEqual(['--timeout']);
    expect(await complete('osconsole console get web-1 --type s')).toEqual(['serial', 'spice-direct', 'spice-html5']);
    expect(await complete('osconsole login --os-interface ')).toEqual(['admin', 'internal', 'public']);
    expect(await complete('osconsole completion ')).toEqual(['bash', 'fish', 'zsh']);
  });

  it('an option value is not taken for a command word', async () => {
    expect(await complete('osconsole login --os-cloud console ')).toEqual([]);
    expect(await complete('osconsole --timeout 5 console g')).toEqual(['get']);
  });

  it('--os-cloud offers the clouds in clouds.yaml and the cached sessions (no network)', async () => {
    env.t.write(
      '.config/openstack/clouds.yaml',
      'clouds:\n  prod:\n    auth: {auth_url: "http://127.0.0.1:1/v3"}\n  lab:\n    auth: {auth_url: "http://127.0.0.1:1/v3"}\n',
    );
    expect(await complete('osconsole login --os-cloud ')).toEqual(['lab', 'prod']);
    expect(await complete('osconsole login --os-cloud p')).toEqual(['prod']);
  });

  it('console get offers server names seen recently, from the cache', async () => {
    expectExit(await env.t.run(['login'], ctx.sim.env('demo')), 0);
    expect(await complete('osconsole console get ')).toEqual([]);
    await env.t.run(['console', 'get', 'web']);
    ctx.sim.clearLog();
    expect(await complete('osconsole console get w')).toEqual(['web-1', 'web-10']);
    // Quoted for the command line: a name with regex and shell metacharacters arrives intact.
    expect(await complete('osconsole console get ')).toContain('db\\(1\\).x');
    expect(ctx.sim.requests()).toHaveLength(0);
  });
});

describe('other shells', () => {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  it.runIf(has('zsh'))('the zsh script parses', () => {
    const r = spawnSync('zsh', ['-n', join(ROOT, 'completions', '_osconsole')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  it.runIf(has('fish'))('the fish script parses and completes', () => {
    const script = join(ROOT, 'completions', 'osconsole.fish');
    const r = spawnSync('fish', ['--no-execute', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const fishComplete = (line: string) =>
      spawnSync('fish', ['--no-config', '-c', `source ${script}; complete -C ${JSON.stringify(line)}`], {
        encoding: 'utf8',
        cwd: env.t.home,
      })
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
        .sort();
    expect(fishComplete('osconsole con')).toEqual(['console']);
    expect(fishComplete('osconsole console ')).toEqual(['attach', 'check', 'get', 'inspect', 'log', 'tunnel', 'view']);
    expect(fishComplete('osconsole console get --type s')).toEqual(['serial', 'spice-direct', 'spice-html5']);
    expect(fishComplete('osconsole login --os-cloud x --os-interface i')).toEqual(['internal']);
  });
});

describe('the man page', () => {
  it('renders with groff -ww without a warning and has every section', () => {
    const r = spawnSync('groff', ['-ww', '-man', '-Tutf8', '-P-cbou', join(ROOT, 'man', 'osconsole.1')], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    for (const section of [
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'COMMANDS',
      'OPTIONS',
      'ENVIRONMENT',
      'FILES',
      'EXIT STATUS',
      'EXAMPLES',
      'SECURITY',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^${section}$`, 'm'));
    }
    for (const variable of [
      'OS_AUTH_URL',
      'OS_APPLICATION_CREDENTIAL_SECRET',
      'OS_PASSCODE',
      'OS_COMPUTE_API_VERSION',
      'OSCONSOLE_CONFIG_DIR',
      'OS_CLOUD',
    ])
      expect(r.stdout).toContain(variable);
    expect(r.stdout).toMatch(/^\s+130\s+cancelled by the user$/m);
  });

  it.runIf(spawnSync('sh', ['-c', 'command -v man']).status === 0)('man -l renders it', () => {
    const r = spawnSync('man', ['-l', join(ROOT, 'man', 'osconsole.1')], {
      encoding: 'utf8',
      env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '80' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('osconsole');
  });
});
