/**
 * The architecture figures of the tree as it is, for before/after notes (issue 11):
 *
 * - floors: the longest import chain in packages/server/src, counted in modules (a module that
 *   imports nothing else of the server is floor 1; the modules of a circle share one floor);
 * - back-imports: imports in packages/server/src that run against the layering
 *   entry → routes → service → lifecycle → foundation (LAYER_OF says which module is where);
 * - circles in packages/server/src;
 * - casts of `request.body`, `request.params` and `request.query` (`as {…}`, `as Something`);
 * - definitions of the tier union in every workspace: literal unions and literal lists that
 *   spell out all four tiers, where one shared definition would do.
 *
 * The import graph is dependency-cruiser's, with the resolution `npm run lint:deps` uses, type-only
 * imports included (they couple modules as much). `--list` names every counted import, cast and
 * definition.
 *
 *   node --import tsx scripts/architecture-figures.ts [--list]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = 'packages/server/src/';
const TIER_NAMES = ['auto', 'review', 'multi_party', 'deny'];

/** The server's layers, top to bottom: a module may import its own layer and those below it. */
const LAYERING = ['entry', 'routes', 'service', 'lifecycle', 'foundation'] as const;
type Layer = (typeof LAYERING)[number];

/** Which module is in which layer: the first pattern that matches its path under src/ decides. */
const LAYER_OF: ReadonlyArray<readonly [layer: Layer, match: RegExp]> = [
  // Composition roots: they wire every domain together, so everything else is below them.
  ['entry', /^(index|serve|runtime|jobs)\.ts$|^http\/app\.ts$/],
  // The HTTP and WebSocket faces of the domains.
  ['routes', /(^|\/)routes\.ts$|^http\//],
  // The request state machine: states, transitions, quorum, close, verdicts, scheduling.
  ['lifecycle', /^lifecycle\//],
  // What every layer builds on: the audit chain and its writer, keys, the platform (events,
  // jobs, log), errors, ids, secrets and configuration.
  [
    'foundation',
    /^(platform|keys)\/|^audit\/(chain|writer|canonical-json)\.ts$|^(errors|ids|secrets|config[\w-]*)\.ts$/,
  ],
  // Everything else in a domain folder: its service and data access.
  ['service', /./],
];

function layerOf(module: string): Layer {
  const path = module.slice(SERVER.length);
  return LAYER_OF.find(([, match]) => match.test(path))![0];
}

/** An import from a lower layer into a higher one. */
const runsBackUp = (from: string, to: string) =>
  LAYERING.indexOf(layerOf(to)) < LAYERING.indexOf(layerOf(from));

interface Import {
  to: string;
  /** Only `import type`: erased at compile time, but a coupling all the same. */
  typeOnly: boolean;
}

/** Each module of packages/server/src with the server modules it imports. */
async function serverGraph(): Promise<Map<string, Import[]>> {
  const options = await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'));
  const { output } = await cruise([SERVER], { ...options, includeOnly: `^${SERVER}`, validate: false });
  if (typeof output === 'string') throw new Error('dependency-cruiser answered text, not a graph');
  return new Map(
    output.modules.map((module) => {
      // One entry per imported module: `import type` and a value import of the same one are a value import.
      const imports = new Map<string, boolean>();
      for (const { resolved, dependencyTypes } of module.dependencies)
        if (resolved !== module.source)
          imports.set(resolved, (imports.get(resolved) ?? true) && dependencyTypes.includes('type-only'));
      return [module.source, [...imports].map(([to, typeOnly]) => ({ to, typeOnly }))];
    }),
  );
}

/** Tarjan's strongly connected components: each module's component, and the components themselves. */
function components(graph: Map<string, Import[]>) {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const componentOf = new Map<string, number>();
  const members: string[][] = [];
  const visit = (module: string) => {
    index.set(module, index.size);
    low.set(module, index.get(module)!);
    stack.push(module);
    onStack.add(module);
    for (const { to } of graph.get(module) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(module, Math.min(low.get(module)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(module, Math.min(low.get(module)!, index.get(to)!));
    }
    if (low.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      componentOf.set(member, members.length);
      component.push(member);
    } while (member !== module);
    members.push(component);
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return { componentOf, members };
}

/**
 * How many floors the graph draws, and its circles. A component's floor is 1 + the highest floor
 * among the components it imports, so the top floor is the length of the longest import chain.
 */
function floors(graph: Map<string, Import[]>) {
  const { componentOf, members } = components(graph);
  const floor = new Map<number, number>();
  const floorOf = (component: number): number => {
    const known = floor.get(component);
    if (known !== undefined) return known;
    let below = 0;
    for (const module of members[component]!)
      for (const { to } of graph.get(module) ?? []) {
        const other = componentOf.get(to)!;
        if (other !== component) below = Math.max(below, floorOf(other));
      }
    floor.set(component, below + 1);
    return below + 1;
  };
  const top = Math.max(0, ...members.map((_, component) => floorOf(component)));
  return { top, circles: members.filter((component) => component.length > 1) };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** The TypeScript of every workspace's src/ (the workspaces of the root package.json). */
function workspaceSources(): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return workspaces
    .map((workspace) => join(workspace, 'src'))
    .filter((dir) => existsSync(join(ROOT, dir)))
    .flatMap(sourceFiles);
}

interface Finding {
  file: string;
  line: number;
  text: string;
}

/** Walks each file's syntax tree and keeps the nodes `match` accepts. */
function find(files: readonly string[], match: (node: ts.Node) => boolean): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(
      file,
      readFileSync(join(ROOT, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const walk = (node: ts.Node) => {
      if (match(node)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        findings.push({ file, line: line + 1, text: node.getText(source).replace(/\s+/g, ' ') });
      }
      ts.forEachChild(node, walk);
    };
    walk(source);
  }
  return findings;
}

/** `request.body as …` (or `<…>request.body`), with any parentheses around the access. */
function isRequestInputCast(node: ts.Node): boolean {
  if (!ts.isAsExpression(node) && !ts.isTypeAssertionExpression(node)) return false;
  const access = ts.isParenthesizedExpression(node.expression) ? node.expression.expression : node.expression;
  return (
    ts.isPropertyAccessExpression(access) &&
    ts.isIdentifier(access.expression) &&
    access.expression.text === 'request' &&
    ['body', 'params', 'query'].includes(access.name.text)
  );
}

function spellsEveryTier(literals: readonly ts.Node[]): boolean {
  const names = new Set(literals.flatMap((literal) => (ts.isStringLiteral(literal) ? [literal.text] : [])));
  return literals.length === names.size && TIER_NAMES.every((tier) => names.has(tier));
}

/** `'auto' | 'review' | 'multi_party' | 'deny'`, in any order. */
function isTierUnion(node: ts.Node): boolean {
  return (
    ts.isUnionTypeNode(node) &&
    node.types.every(ts.isLiteralTypeNode) &&
    spellsEveryTier(node.types.map((type) => (type as ts.LiteralTypeNode).literal))
  );
}

/** `['auto', 'review', 'multi_party', 'deny']`, as a list, set or schema enum. */
function isTierList(node: ts.Node): boolean {
  return ts.isArrayLiteralExpression(node) && spellsEveryTier(node.elements);
}

const list = process.argv.includes('--list');
const show = (findings: readonly Finding[]) => {
  if (list) for (const { file, line, text } of findings) console.log(`    ${file}:${line}  ${text}`);
};

const graph = await serverGraph();
const { top, circles } = floors(graph);
const backImports = [...graph].flatMap(([from, imports]) =>
  imports.filter(({ to }) => runsBackUp(from, to)).map((edge) => ({ from, ...edge })),
);
const serverFiles = sourceFiles(SERVER);
const casts = find(serverFiles, isRequestInputCast);
const sources = workspaceSources();
const unions = find(sources, isTierUnion);
const lists = find(sources, isTierList);

console.log(`packages/server/src: ${graph.size} modules`);
console.log(`  floors (longest import chain, in modules):  ${top}`);
const typeOnly = backImports.filter((edge) => edge.typeOnly).length;
console.log(
  `  back-imports (against ${LAYERING.join(' → ')}):  ${backImports.length} (${typeOnly} of them \`import type\`)`,
);
if (list)
  for (const { from, to, typeOnly } of backImports)
    console.log(`    ${from} (${layerOf(from)}) → ${to} (${layerOf(to)})${typeOnly ? ', type only' : ''}`);
console.log(`  circles:  ${circles.length}`);
if (list) for (const circle of circles) console.log(`    ${circle.sort().join(' ↔ ')}`);
console.log(`  casts of request.body/params/query:  ${casts.length}`);
show(casts);
console.log(`tier union definitions (all workspaces): ${unions.length + lists.length}`);
console.log(`  literal unions:  ${unions.length}`);
show(unions);
console.log(`  literal lists:  ${lists.length}`);
show(lists);
