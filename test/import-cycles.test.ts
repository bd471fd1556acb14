// Data flows one way: no import cycle between the project's top-level folders (tests aside).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';

const root = resolve(import.meta.dirname, '..');
const FOLDERS = ['config', 'models', 'operators', 'eval', 'simulate', 'pipeline', 'bench'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Edges folder → folders it imports from (relative imports, `import` and `export … from`). */
function folderGraph(): Map<string, Set<string>> {
  const edges = new Map(FOLDERS.map((f) => [f, new Set<string>()]));
  for (const folder of FOLDERS) {
    for (const file of tsFiles(join(root, folder))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        const target = relative(root, resolve(dirname(file), m[1])).split('/')[0];
        if (target !== folder && edges.has(target)) edges.get(folder)!.add(target);
      }
    }
  }
  return edges;
}

/** Every elementary cycle once, written from its smallest folder name, as 'a -> b -> a'. */
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

t.test('no import cycle between top-level folders', async (t) => {
  const edges = folderGraph();
  t.same(cycles(edges), [], `folder imports: ${[...edges].map(([a, bs]) => `${a} -> {${[...bs].join(', ')}}`).join('; ')}`);
});

t.test('the cycle finder finds a cycle when there is one', async (t) => {
  const edges = new Map([['models', new Set(['config'])], ['config', new Set(['operators'])], ['operators', new Set(['models'])]]);
  t.same(cycles(edges), ['config -> operators -> models -> config']);
});
