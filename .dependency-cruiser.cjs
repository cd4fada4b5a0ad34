// The import rules of the repository, checked by `npm run lint:deps` (part of `npm run lint`).
// DESIGN.md: dependencies flow one way, apps → packages; a package's public face is what its
// package.json exports; `contract` is the floor, and `risk` and `verdict` import nothing of
// ours but it. Each rule below says why it exists; test/dependency-rules.test.ts proves that
// each one fails the check.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const manifest = (dir) => JSON.parse(readFileSync(join(__dirname, dir, 'package.json'), 'utf8'));
const literally = (text) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** The files a workspace's `exports` map lets others import; `*` patterns match any subpath. */
function exportedFiles(dir, exports) {
  const targets = [];
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(exports);
  return targets.map((target) => literally(join(dir, target)).replace(/\*/g, '.+'));
}

/**
 * Another workspace may import only what a workspace exports, and only by its package name: a
 * relative path or a deep import into its folder couples to files it is free to move, and
 * bypasses the one face it promises to keep. A workspace without `exports` (the api, worker and
 * cli apps) is not a library: nothing outside it imports it at all. Tests may import their own
 * workspace's internals; code shared between tests lives in test/support.
 */
const workspaceRules = manifest('.').workspaces.flatMap((dir) => {
  const { name, exports } = manifest(dir);
  const outside = { pathNot: `^${literally(dir)}/` };
  const exported = exportedFiles(dir, exports);
  return [
    {
      name: `by-name-${dir.replace('/', '-')}`,
      severity: 'error',
      comment: `${name} is imported by its package name, never by a path into its folder`,
      from: outside,
      to: { path: `^${literally(dir)}/`, dependencyTypesNot: ['aliased-workspace'] },
    },
    {
      name: `exports-of-${dir.replace('/', '-')}`,
      severity: 'error',
      comment: `only the exports of ${name} are its public face`,
      from: outside,
      to: {
        path: `^${literally(dir)}/`,
        dependencyTypes: ['aliased-workspace'],
        ...(exported.length > 0 && { pathNot: `^(${exported.join('|')})$` }),
      },
    },
  ];
});

module.exports = {
  forbidden: [
    {
      // A circle has no bottom: neither side can be understood, tested or changed on its own,
      // and module initialisation order decides which one sees the other half-loaded.
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...workspaceRules,
    {
      // Apps compose packages; a package that imports an app turns the one-way flow into a
      // circle at the workspace level and drags a process (HTTP, workers, CLI) into a library.
      name: 'packages-not-to-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      // The risk engine and the verdict format are pure libraries that the SDK, the CLI and
      // third parties embed: they may build on the wire contract and nothing else of ours, so
      // that scoring and verifying never pull in storage, the server or I/O.
      name: 'pure-libraries',
      severity: 'error',
      from: { path: '^packages/(risk|verdict)/' },
      to: { path: '^(packages|apps)/', pathNot: ['^packages/$1/', '^packages/contract/'] },
    },
    {
      // The contract is the floor every side shares: if it imported a workspace, that
      // workspace would reach the SDK, the web app and the risk engine through it.
      name: 'contract-is-the-floor',
      severity: 'error',
      from: { path: '^packages/contract/' },
      to: { path: '^(packages|apps)/', pathNot: '^packages/contract/' },
    },
    {
      // The web app runs in approvers' browsers: server code there would ship the server's
      // internals to every page (or fail the build), and node builtins do not exist there. It
      // talks to the server over HTTP and shares only the wire contract.
      name: 'web-not-to-server',
      severity: 'error',
      from: { path: '^apps/web/src/' },
      to: { path: ['^packages/(server|db)/', '^apps/(api|worker|cli)/'] },
    },
    {
      // Same reason: `node:fs` and friends are not in the browser.
      name: 'web-not-to-node',
      severity: 'error',
      from: { path: '^apps/web/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      // An import the checker cannot resolve is one it cannot check; a deep import past a
      // package's `exports` map is also unresolvable, so this is where such imports show up.
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '(^|/)dist/', '^packages/db/migrations/'] },
    // Type-only imports count: they couple modules just as much, and erasing them at compile
    // time does not make a circle of types any easier to read.
    tsPreCompilationDeps: true,
    // Read the root package.json with each workspace's own: its `workspaces` list is what lets
    // the checker tell an import by package name (`aliased-workspace`) from a path into a folder.
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
