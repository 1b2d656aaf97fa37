#!/usr/bin/env node
// `npm run check:layers`: holds the layers of src/ (ARCHITECTURE.md draws them). Every folder and
// top-level file of src/ has a rank below; an import (static, type-only or dynamic `import()`) may only
// point to a lower rank or stay in its own folder, so no room reaches up and no two rooms form a circle.
// Within a folder, files may not import each other in a circle either. Prints what it finds and exits 1,
// or prints one OK line. A new folder or top-level file must be given its rank here first.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Another tree laid out like src/ may be checked instead (the checker's own test does).
const src = path.resolve(process.argv[2] ?? path.join(root, 'src'));

/** Lowest first: each room may import only the rooms above it in this list. */
const RANKS = [
  'version.ts', // the version, from package.json
  'errors.ts', // typed errors with exit codes
  'redact.ts', // secrets masked in every message
  'duration.ts', // "13h" → ms
  'json-file.ts', // owner-only JSON files written atomically
  'paths.ts', // PINSYNC_HOME or XDG
  'config.ts', // per-profile defaults
  'prompt.ts', // prompts on stderr
  'pinterest/', // the API client, its rate limits and its ports (TokenProvider, the shared write budget)
  'sandbox/', // the local Pinterest
  'context.ts', // what every command gets
  'input/', // source → columns (rows read)
  'identify/', // normalise → hash → exclude → dedupe (rows identified)
  'send/', // guard → batch → upload → tally (rows sent)
  'report/', // progress, summary, the run report, output files
  'state/', // SQLite: journals, snapshots, runs, locks, the token budget
  'auth/', // tokens: login, keychain, refresh
  'connect.ts', // how a Context makes its clients
  'audiences/', // look-up, create, audiences waiting for their list
  'runs/', // push, sync, doctor: plan → send → report
  'ci/', // a run's end told outside: GitHub job summary, outputs, annotations; notifications, pings, metrics
  'jobs/', // `pinsync run`: many runs side by side
  'commands/', // flags and printing
  'program.ts', // the commander program, errors caught once
  'main.ts', // the process
];

const files = sourceFiles(src);
const graph = importGraph(files);
const unranked = [...new Set(files.map(roomOf))].filter((room) => !RANKS.includes(room));
const upward = upwardImports(graph);
const knots = stronglyConnected(graph);

for (const room of unranked) console.log(`unranked: src/${room} has no rank in scripts/check-layers.mjs`);
for (const [from, to] of upward) console.log(`upward: ${relative(from)} imports ${relative(to)} (${roomOf(from)} is below ${roomOf(to)})`);
for (const knot of knots) {
  const cycle = cycleThrough(graph, knot);
  // One cycle stands for its knot; when more files are tangled in it, name them all.
  const others = knot.length > cycle.length - 1 ? ` (tangled with it: ${knot.filter((f) => !cycle.includes(f)).map(relative).join(', ')})` : '';
  console.log(`cycle: ${cycle.map(relative).join(' → ')}${others}`);
}
const problems = unranked.length + upward.length + knots.length;
if (problems > 0) {
  console.log(`${unranked.length} unranked, ${upward.length} upward import(s), ${knots.length} import cycle(s).`);
  process.exitCode = 1;
} else {
  console.log(`OK: ${RANKS.length} ranked rooms, ${graph.size} files in src/, every import points down, no cycle.`);
}

/** The room of a file: its top-level folder ("runs/"), or the file itself at the top ("connect.ts"). */
function roomOf(file) {
  const [first, ...rest] = path.relative(src, file).split(path.sep);
  return rest.length > 0 ? `${first}/` : first;
}

function upwardImports(graph) {
  const found = [];
  for (const [from, targets] of graph) {
    const rank = RANKS.indexOf(roomOf(from));
    for (const to of targets) {
      if (roomOf(to) === roomOf(from)) continue;
      if (RANKS.indexOf(roomOf(to)) >= rank) found.push([from, to]);
    }
  }
  return found;
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

function relative(file) {
  return path.relative(root, file);
}
