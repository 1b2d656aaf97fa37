#!/usr/bin/env node
// `npm run check:layers`: lists import cycles between files in src/ (static, type-only and dynamic
// `import()` all count) and imports into src/commands from the layers below it (pipeline, state,
// pinterest, report). Prints what it finds and exits 1, or prints one OK line.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const layersBelowCommands = ['pipeline', 'state', 'pinterest', 'report'];

const graph = importGraph(sourceFiles(src));
const knots = stronglyConnected(graph);
const upwardImports = importsIntoCommands(graph);

for (const knot of knots) {
  const cycle = cycleThrough(graph, knot);
  // One cycle stands for its knot; when more files are tangled in it, name them all.
  const others = knot.length > cycle.length - 1 ? ` (tangled with it: ${knot.filter((f) => !cycle.includes(f)).map(relative).join(', ')})` : '';
  console.log(`cycle: ${cycle.map(relative).join(' → ')}${others}`);
}
for (const [from, to] of upwardImports) console.log(`layer: ${relative(from)} imports ${relative(to)}`);
if (knots.length + upwardImports.length > 0) {
  console.log(`${knots.length} import cycle(s), ${upwardImports.length} import(s) into src/commands from below.`);
  process.exitCode = 1;
} else {
  console.log(`OK: no import cycle among ${graph.size} files in src/, nothing below src/commands imports it.`);
}

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

/** file → the src/ files it imports (relative specifiers only; `.js` in a specifier names the `.ts` source). */
function importGraph(files) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const targets = new Set();
    for (const specifier of importSpecifiers(fs.readFileSync(file, 'utf8'))) {
      const target = resolveSource(file, specifier, known);
      if (target) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

function importSpecifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export { y } from '…', import type …
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…')
    /^\s*import\s*['"]([^'"]+)['"]/gm, // import '…' (side effects only)
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1]));
}

function resolveSource(from, specifier, known) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => known.has(candidate));
}

/** Tarjan's algorithm: every group of files that reach each other, of two or more (or one importing itself). */
function stronglyConnected(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node).includes(node)) components.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}

/** The shortest cycle from the component's first file back to itself (breadth-first inside the component). */
function cycleThrough(graph, component) {
  const members = new Set(component);
  const start = component[0];
  const cameFrom = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of graph.get(node)) {
      if (!members.has(next)) continue;
      if (next === start) return [...pathTo(cameFrom, node, start), start];
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

function pathTo(cameFrom, node, start) {
  const steps = [node];
  while (steps[0] !== start) steps.unshift(cameFrom.get(steps[0]));
  return steps;
}

function importsIntoCommands(graph) {
  const commands = path.join(src, 'commands') + path.sep;
  const below = layersBelowCommands.map((layer) => path.join(src, layer) + path.sep);
  const found = [];
  for (const [from, targets] of graph) {
    if (!below.some((dir) => from.startsWith(dir))) continue;
    for (const to of targets) if (to.startsWith(commands)) found.push([from, to]);
  }
  return found;
}

function relative(file) {
  return path.relative(root, file);
}
