/**
 * `osconsole completion bash|zsh|fish` prints a completion script generated
 * from the command tree; the hidden `__complete` answers the scripts' dynamic
 * questions (cloud names, regions, recent server names) from local files only.
 */
import { Argument } from 'commander';
import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import type { Context } from '../context.js';

export function register(program: Command, app: App): void {
  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(osconsole completion bash)
  $ osconsole completion zsh > "\${fpath[1]}/_osconsole"
  $ osconsole completion fish > ~/.config/fish/completions/osconsole.fish`,
    )
    .action(
      app.action(async (ctx: Context, shell: 'bash' | 'zsh' | 'fish') => {
        const { completionScript } = await import('../docs/completion.js');
        const { commandTree } = await import('../docs/tree.js');
        // The program this run parsed: the tree is built once, and docs/ never imports the CLI.
        ctx.output.stdoutRaw(completionScript(shell, commandTree(program)));
      }),
    );

  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'clouds, regions or servers')
    .option('--os-cloud <name>')
    .allowExcessArguments(true)
    .action(
      app.action(async (ctx: Context, what: string, opts: { osCloud?: string }) => {
        try {
          for (const value of await candidates(ctx, what, opts.osCloud)) ctx.output.result(value);
        } catch (err) {
          // Completion prints what it can and never an error (but --debug says why).
          ctx.output.debug(`__complete ${what}: ${String(err)}`);
        }
      }),
    );
}

async function candidates(ctx: Context, what: string, cloud: string | undefined): Promise<string[]> {
  const store = await ctx.sessions();
  const file = store.read();
  if (what === 'clouds') {
    const { loadCloudsFile } = await import('../config/clouds-yaml.js');
    const clouds = await loadCloudsFile(ctx.deps).catch(() => undefined);
    return [...new Set([...(clouds?.names ?? []), ...Object.keys(file.sessions)])].sort();
  }
  const { sessionName } = await import('../config/resolve.js');
  const name = sessionName({ cloud, flags: {} }, ctx.env, file.current);
  if (what === 'regions') {
    const session = file.sessions[name];
    const regions = (session?.catalog ?? [])
      .filter((s) => s.type === 'compute')
      .flatMap((s) => s.endpoints.map((e) => e.region_id ?? e.region ?? ''));
    return [...new Set(regions.filter(Boolean))].sort();
  }
  if (what === 'servers') {
    const { recentServerNames } = await import('../core/server-cache.js');
    return recentServerNames({ ...ctx.deps, now: () => ctx.now() }, name);
  }
  return [];
}
