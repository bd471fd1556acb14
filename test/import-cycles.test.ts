// Data flows one way: no import cycle among the parts of any folder (tests aside). A folder's parts
// are its sub-folders and the files directly in it; part A depends on part B when a file in A
// imports (or re-exports, types included) a file in B. At the top, the parts are the top-level folders.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import t from 'tap';

const root = resolve(import.meta.dirname, '..');
const TOP_FOLDERS = ['config', 'models', 'operators', 'eval', 'simulate', 'pipeline', 'bench'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'build' ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every import edge between the project's files, as paths relative to the root (`.js` specifiers map to their `.ts`). */
function fileEdges(): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of TOP_FOLDERS.flatMap((f) => tsFiles(join(root, f)))) {
    for (const m of readFileSync(file, 'utf8').matchAll(
      /(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g,
    )) {
      const target = resolve(dirname(file), m[1] ?? m[2]).replace(/\.js$/, '.ts');
      edges.push([relative(root, file), relative(root, target)]);
    }
  }
  return edges;
}

/**
 * The part graph of every folder: folder → (part → parts it imports from). The root's parts are the
 * top-level folders; a folder's parts are its sub-folders and its own files.
 */
function partGraphs(edges: readonly [string, string][]): Map<string, Map<string, Set<string>>> {
  const graphs = new Map<string, Map<string, Set<string>>>();
  for (const [from, to] of edges) {
    const a = from.split(sep),
      b = to.split(sep);
    // The deepest folder both lie in: their first differing path segment is the part of each.
    let i = 0;
    while (i < Math.min(a.length, b.length) - 1 && a[i] === b[i]) i++;
    if (a[i] === b[i]) continue; // the same file
    const folder = a.slice(0, i).join('/') || '.';
    if (folder === '.' && !(TOP_FOLDERS.includes(a[0]) && TOP_FOLDERS.includes(b[0]))) continue;
    const graph = graphs.get(folder) ?? new Map<string, Set<string>>();
    graphs.set(folder, graph);
    const deps = graph.get(a[i]) ?? new Set<string>();
    graph.set(a[i], deps);
    deps.add(b[i]);
  }
  return graphs;
}

/** Every elementary cycle once, written from its smallest part name, as 'a -> b -> a'. */
function cycles(edges: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const visit = (start: string, node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      if (next === start) found.push([...path, start].join(' -> '));
      else if (next > start && !path.includes(next)) visit(start, next, [...path, next]);
    }
  };
  for (const start of [...edges.keys()].sort()) visit(start, start, [start]);
  return found;
}

t.test('no import cycle among the parts of any folder', async (t) => {
  const graphs = partGraphs(fileEdges());
  t.ok(
    graphs.has('.') && graphs.has('pipeline') && graphs.has('models'),
    `folders checked: ${[...graphs.keys()].sort().join(', ')}`,
  );
  for (const [folder, graph] of [...graphs].sort()) {
    t.same(
      cycles(graph),
      [],
      `${folder}: ${[...graph].map(([a, bs]) => `${a} -> {${[...bs].join(', ')}}`).join('; ')}`,
    );
  }
});

t.test('the part graph and the cycle finder find a cycle when there is one', async (t) => {
  const graphs = partGraphs([
    ['pipeline/a/x.ts', 'pipeline/b/y.ts'],
    ['pipeline/b/z.ts', 'pipeline/c.ts'],
    ['pipeline/c.ts', 'pipeline/a/w.ts'],
    ['pipeline/a/x.ts', 'pipeline/a/v.ts'],
  ]);
  t.same(cycles(graphs.get('pipeline')!), ['a -> b -> c.ts -> a'], 'a cycle through a sub-folder and a file');
  t.same(cycles(graphs.get('pipeline/a') ?? new Map()), [], 'inside a folder: x.ts -> v.ts only');
  const edges = new Map([
    ['models', new Set(['config'])],
    ['config', new Set(['operators'])],
    ['operators', new Set(['models'])],
  ]);
  t.same(cycles(edges), ['config -> operators -> models -> config']);
});
