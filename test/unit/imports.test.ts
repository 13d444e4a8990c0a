/**
 * The layers stay a graph without cycles: no module of src/ reaches itself
 * through its imports (static, dynamic or type-only), as the completion
 * command once did through docs/tree → cli/program.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Module → the src/ modules it imports, paths relative to the repository. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(join(ROOT, 'src'))) {
    const imports = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles;
    const local = imports.map((i) => i.fileName).filter((name) => name.startsWith('.'));
    graph.set(
      relative(ROOT, file),
      local.map((name) => relative(ROOT, resolve(dirname(file), name.replace(/\.js$/, '.ts')))),
    );
  }
  return graph;
}

/** The first cycle a depth-first walk meets, as the path that closes it, or undefined. */
function firstCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (module: string): string[] | undefined => {
    const at = path.indexOf(module);
    if (at >= 0) return [...path.slice(at), module];
    if (done.has(module)) return undefined;
    path.push(module);
    for (const next of graph.get(module) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(module);
    return undefined;
  };
  for (const module of graph.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('imports', () => {
  it('the walk finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['b']],
    ]);
    expect(firstCycle(graph)).toEqual(['b', 'c', 'b']);
    expect(firstCycle(new Map([['a', ['b']]]))).toBeUndefined();
  });

  it('src/ has no import cycle', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(firstCycle(graph)?.join(' → ')).toBeUndefined();
  });
});
