/**
 * The layers hold: core/ imports neither side, the container side (bench/) never imports
 * the host side (harness/), the Kubernetes renderer never reaches into placements or
 * commands, and no file is part of an import cycle. Read from the TypeScript sources
 * (static imports, re-exports and dynamic import()), so a new file is checked the day it
 * is written.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT as ROOT } from '../harness/paths.js';

const SOURCE_DIRS = ['core', 'bench', 'harness', 'test'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return name === 'fixtures' ? [] : sources(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

/** `import x from '...'`, `export ... from '...'`, a bare `import '...'`, and `import('...')`. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'|(?:^|\n)\s*import\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

/** file -> the repository files it imports (relative imports only; `.js` maps to the `.ts` source). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      targets.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
    }
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

interface Rule {
  from: string;
  except?: readonly string[];
  mayNotImport: readonly string[];
  why: string;
}

/** The layering of ARCHITECTURE.md, as data. */
const RULES: readonly Rule[] = [
  { from: 'core/', mayNotImport: ['bench/', 'harness/', 'test/'], why: 'core/ is the shared contract: both sides import it, it imports neither' },
  { from: 'bench/', mayNotImport: ['harness/', 'test/'], why: 'the container side never imports the host side' },
  { from: 'harness/', mayNotImport: ['test/'], why: 'the product never imports its tests' },
  { from: 'harness/k8s/', mayNotImport: ['harness/placements/', 'harness/commands/', 'harness/report/'], why: 'the Kubernetes renderer is a library below the placements that use it' },
  { from: 'harness/', except: ['harness/cli.ts', 'harness/commands/'], mayNotImport: ['harness/commands/'], why: 'commands are front ends: only the CLI dispatches to them' },
];

/** Every import that breaks a rule, as "a.ts -> b.ts: why". */
export function violations(graph: ReadonlyMap<string, readonly string[]>, rules: readonly Rule[] = RULES): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of rules) {
      if (!file.startsWith(rule.from) || rule.except?.some((e) => file.startsWith(e))) continue;
      for (const t of targets) if (rule.mayNotImport.some((p) => t.startsWith(p))) out.push(`${file} -> ${t}: ${rule.why}`);
    }
  }
  return out;
}

const graph = importGraph(SOURCE_DIRS.flatMap(sources));

test('the import graph is read: every relative import resolves to a source file', () => {
  assert.ok(graph.size > 100, `only ${graph.size} source files found under ${ROOT}`);
  const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${file} -> ${t}`));
  assert.deepEqual(missing, []);
  assert.ok(graph.get('harness/runner.ts')?.includes('core/results.ts'), 'runner.ts imports core/results.ts');
});

test('no upward import: core imports neither side, bench never imports harness, k8s never imports placements', () => {
  assert.deepEqual(violations(graph), []);
});

test('no import cycle anywhere', () => {
  assert.deepEqual(cycles(graph), []);
});

test('the checks themselves find a cycle and an upward import when there is one', () => {
  const bad = new Map<string, string[]>([
    ['bench/a.ts', ['harness/b.ts']],
    ['harness/b.ts', ['harness/c.ts']],
    ['harness/c.ts', ['harness/b.ts']],
  ]);
  assert.deepEqual(cycles(bad), [['harness/b.ts', 'harness/c.ts']]);
  assert.match(violations(bad).join('\n'), /bench\/a\.ts -> harness\/b\.ts: the container side never imports the host side/);
  assert.equal(relative(ROOT, join(ROOT, 'core')), 'core');
});
