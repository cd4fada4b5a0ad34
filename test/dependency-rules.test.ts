import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from './support/processes.ts';

// The import rules of `npm run lint:deps` (.dependency-cruiser.cjs), run on small workspace
// trees: a clean one passes, and each kind of violation alone fails the check with its rule.

const DEPCRUISE = join(REPO_ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

type Tree = Record<string, string>;

const manifest = (name: string, exports?: Record<string, string>) =>
  JSON.stringify({ name, type: 'module', ...(exports && { exports }) });

/** A miniature of the repository: the floor, a pure library, storage, the server, apps, the web app. */
const CLEAN: Tree = {
  'package.json': JSON.stringify({
    private: true,
    workspaces: [
      'packages/contract',
      'packages/risk',
      'packages/db',
      'packages/server',
      'apps/api',
      'apps/worker',
      'apps/web',
    ],
  }),
  'packages/contract/package.json': manifest('@gatehouse/contract', { '.': './src/index.ts' }),
  'packages/contract/src/index.ts': "export const TIERS = ['auto', 'review'] as const;\n",
  'packages/risk/package.json': manifest('@gatehouse/risk', { '.': './src/index.ts' }),
  'packages/risk/src/index.ts': "export { TIERS } from '@gatehouse/contract';\n",
  'packages/db/package.json': manifest('@gatehouse/db', { '.': './src/index.ts' }),
  'packages/db/src/index.ts': "export const connect = () => 'postgres';\n",
  'packages/server/package.json': manifest('@gatehouse/server', { '.': './src/index.ts' }),
  'packages/server/src/index.ts': "export { serve } from './serve.ts';\n",
  'packages/server/src/serve.ts': [
    "import { connect } from '@gatehouse/db';",
    "import { TIERS } from '@gatehouse/risk';",
    "import { ids } from './ids.ts';",
    'export const serve = () => [connect(), TIERS, ids];',
    '',
  ].join('\n'),
  'packages/server/src/ids.ts': "import { readFileSync } from 'node:fs';\nexport const ids = readFileSync;\n",
  // A test may import its own package's internals.
  'packages/server/test/ids.test.ts': "import { ids } from '../src/ids.ts';\nexport default ids;\n",
  'apps/api/package.json': manifest('@gatehouse/api'),
  'apps/api/src/main.ts': "import { serve } from '@gatehouse/server';\nserve();\n",
  // An app that imports nothing of ours, so that importing it makes no circle.
  'apps/worker/package.json': manifest('@gatehouse/worker'),
  'apps/worker/src/main.ts': "export const work = () => 'jobs';\n",
  'apps/web/package.json': manifest('@gatehouse/web', { './dist/*': './dist/*' }),
  'apps/web/src/main.ts': "import { TIERS } from '@gatehouse/contract';\nexport default TIERS;\n",
  // Tests outside the workspaces use them by name, and share code through test/support.
  'test/support/server.ts': "export { serve } from '@gatehouse/server';\n",
  'test/serve.test.ts': "import { serve } from './support/server.ts';\nserve();\n",
};

const cases: Array<{ name: string; tree: Tree; rules: string[] }> = [
  {
    name: 'an import circle',
    tree: {
      'packages/server/src/ids.ts': "import { serve } from './serve.ts';\nexport const ids = serve;\n",
    },
    rules: ['no-circular'],
  },
  {
    name: "a relative path into another package's internals",
    tree: { 'apps/api/src/main.ts': "import { ids } from '../../../packages/server/src/ids.ts';\nids();\n" },
    rules: ['by-name-packages-server'],
  },
  {
    name: "a relative path even to another package's entry point",
    tree: {
      'apps/api/src/main.ts': "import { serve } from '../../../packages/server/src/index.ts';\nserve();\n",
    },
    rules: ['by-name-packages-server'],
  },
  {
    name: "a deep import past a package's exports",
    tree: { 'apps/api/src/main.ts': "import { ids } from '@gatehouse/server/src/ids.ts';\nids();\n" },
    rules: ['not-to-unresolvable'],
  },
  {
    name: 'an import of an app, which exports nothing',
    tree: { 'test/api.test.ts': "import '@gatehouse/api/src/main.ts';\n" },
    rules: ['exports-of-apps-api'],
  },
  {
    name: 'a package importing an app',
    tree: {
      'packages/server/src/ids.ts': "import '@gatehouse/worker/src/main.ts';\nexport const ids = 1;\n",
    },
    rules: ['packages-not-to-apps', 'exports-of-apps-worker'],
  },
  {
    name: 'the risk engine importing another workspace package than the contract',
    tree: { 'packages/risk/src/index.ts': "export { connect as TIERS } from '@gatehouse/db';\n" },
    rules: ['pure-libraries'],
  },
  {
    name: 'the contract importing a workspace package',
    tree: { 'packages/contract/src/index.ts': "export { TIERS } from '@gatehouse/risk';\n" },
    // The contract → risk → contract import is a circle too.
    rules: ['contract-is-the-floor', 'no-circular'],
  },
  {
    name: 'the web app importing server code',
    tree: { 'apps/web/src/main.ts': "import { serve } from '@gatehouse/server';\nexport default serve;\n" },
    rules: ['web-not-to-server'],
  },
  {
    name: 'the web app importing a node builtin',
    tree: {
      'apps/web/src/main.ts': "import { readFileSync } from 'node:fs';\nexport default readFileSync;\n",
    },
    rules: ['web-not-to-node'],
  },
];

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Writes the tree with the repository's rules and its workspaces linked as npm links them. */
function materialise(tree: Tree): string {
  const root = mkdtempSync(join(tmpdir(), 'gh-deprules-'));
  roots.push(root);
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  copyFileSync(join(REPO_ROOT, '.dependency-cruiser.cjs'), join(root, '.dependency-cruiser.cjs'));
  mkdirSync(join(root, 'node_modules/@gatehouse'), { recursive: true });
  for (const workspace of JSON.parse(tree['package.json']!).workspaces as string[])
    symlinkSync(join(root, workspace), join(root, 'node_modules/@gatehouse', workspace.split('/')[1]!));
  return root;
}

/** The check as `npm run lint:deps` runs it: its exit code and the rules its errors name. */
function check(root: string): Promise<{ code: number; rules: string[]; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEPCRUISE, '--config', '.dependency-cruiser.cjs', 'packages', 'apps', 'test'],
      { cwd: root },
      (error, stdout, stderr) => {
        const output = stdout + stderr;
        const rules = new Set([...output.matchAll(/^\s*error (\S+):/gm)].map((match) => match[1]!));
        resolve({ code: error ? Number(error.code) : 0, rules: [...rules].sort(), output });
      },
    );
  });
}

describe('the dependency rules', () => {
  test('pass a tree that keeps them', async () => {
    const result = await check(materialise(CLEAN));
    expect(result.output).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });

  test.each(cases)('fail on $name', async ({ tree, rules }) => {
    const result = await check(materialise({ ...CLEAN, ...tree }));
    expect(result.rules, result.output).toEqual([...rules].sort());
    expect(result.code).not.toBe(0);
  });
});
