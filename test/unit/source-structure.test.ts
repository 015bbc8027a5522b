import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The structure rules of the team's guide that a script can check: lower layers never import higher
 * ones in a circle, and a source file longer than about 350 lines says at its top why it is one module.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(resolve(path));
    }
  };
  walk(join(ROOT, folder));
  return found;
}

/** Relative imports and re-exports of each file (type-only ones too: a circle of types is still one to read). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(
      /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g,
    )) {
      const target = resolve(dirname(file), (match[1] ?? match[2] ?? '').replace(/\.js$/, '.ts'));
      if (known.has(target)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Groups of files that import each other, directly or round a longer loop (Tarjan's algorithm). */
function circles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(relative(ROOT, member));
    } while (member !== file);
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(group.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe('source structure', () => {
  const files = ['lib', 'lambda', 'local', 'scripts', 'bin'].flatMap(sourceFiles);

  it('has no import circles in lib/, lambda/ and the tools around them', () => {
    expect(circles(importGraph(files))).toEqual([]);
  });

  it('finds a circle when there is one (the check itself works)', () => {
    const [a, b, c] = ['/x/a.ts', '/x/b.ts', '/x/c.ts'];
    const graph = new Map([
      [a, [b]],
      [b, [a, c]],
      [c, []],
    ]);
    expect(circles(graph)).toHaveLength(1);
  });

  it('says at the top of every source file over 350 lines why it is that long', () => {
    const unexplained = files
      .filter((file) => readFileSync(file, 'utf8').split('\n').length > 351)
      .filter((file) => !/^(\/\/|\/\*)/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(unexplained).toEqual([]);
  });
});
