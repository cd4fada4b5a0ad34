import { own } from '../../own.ts';
import { firstPositionalIndex, optionValue, optionValues, positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import { judgeScriptSource, nested } from './stdin.ts';
import type { Handler } from './types.ts';

const NODE_READ =
  /^(ls|list|ll|la|view|info|show|outdated|audit|search|why|explain|help|config|doctor|ping|whoami|root|prefix|bin|version|-v|--version|pack|query|licenses|fund|docs|repo|bugs|owner|dist-tag|cache|completion|get)$/;
const NODE_BUILD =
  /^(test|t|tst|run|run-script|start|build|lint|dev|format|typecheck|check|preview|serve|watch|ci-test|it|install-test|tsc|jest|vitest|mocha|prettier|eslint|biome)$/;
/** Verbs that fetch a package from the registry and run it (`npm exec`, `pnpm dlx`, `npm create vite`). */
const NODE_RUN_REMOTE = /^(exec|x|dlx|create)$/;
const DEPLOY_SCRIPT =
  /(^|[^a-z])(deploy|release|publish|prod|production|rollout|destroy|teardown)([^a-z]|$)/i;
/** Package specs that are not a registry name: URLs and git remotes. */
const REMOTE_SPEC = /^(https?|git|git\+[a-z]+|github|gitlab|bitbucket|ssh):/;
/** npm reads `user/repo` (no leading `.`, `/` or `@`) as a GitHub repository. */
const GITHUB_SHORTHAND = /^[\w-][\w.-]*\/[\w.-]+(#.*)?$/;

const nodePackageManager: Handler = (inv) => {
  const s = inv.session;
  const [verb = '', next = ''] = positionals(inv.argv, [
    '--prefix',
    '-w',
    '--workspace',
    '--filter',
    '--registry',
    '--tag',
    '--otp',
    '-C',
    '--cwd',
  ]);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (verb === '' && inv.name === 'yarn') return void emit(s, 'shell.packages.install', detail);
  if (verb === '') return;
  if (/^(publish|unpublish|deprecate|dist-tag|owner|access|team|token|adduser|login|logout)$/.test(verb)) {
    if ((verb === 'publish' || verb === 'unpublish') && isDryRun(inv.argv)) return;
    if (verb === 'dist-tag' && (next === 'ls' || next === 'list')) return;
    if (verb === 'dist-tag') return void emit(s, 'shell.packages.config', detail);
    if (verb === 'owner' && next === 'ls') return;
    if (verb === 'token' && next === 'list') return;
    return void emit(
      s,
      verb === 'login' || verb === 'adduser' || verb === 'logout' || verb === 'token'
        ? 'shell.packages.auth'
        : 'shell.packages.publish',
      detail,
    );
  }
  if (verb === 'config' && /^(set|delete|edit)$/.test(next))
    return void emit(s, 'shell.packages.config', detail);
  if (verb === 'cache' && /^(clean|clear)$/.test(next)) return void emit(s, 'shell.rm.regenerable', detail);
  // `audit fix` installs and upgrades dependencies; `version <bump>` rewrites package.json.
  if (verb === 'audit' && next === 'fix') return void emit(s, 'shell.packages.install', detail);
  if (verb === 'version' && next !== '') return void emit(s, 'shell.write.file', detail);
  if (NODE_READ.test(verb)) return;
  if (NODE_RUN_REMOTE.test(verb) || (verb === 'init' && next !== ''))
    return void emit(s, 'shell.packages.run-remote', detail);
  if (verb === 'init') return void emit(s, 'shell.write.file', detail);
  // yarn, pnpm and bun run a package.json script named as the verb (`yarn deploy`).
  const script = verb === 'run' || verb === 'run-script' ? next : verb;
  if (DEPLOY_SCRIPT.test(script) && !/^(add|install|i|remove|rm|uninstall)$/.test(verb))
    return void emit(s, 'shell.build.deploy-target', detail);
  if (verb === 'global') return void emit(s, 'shell.packages.install-global', detail);
  if (
    NODE_BUILD.test(verb) ||
    ((inv.name === 'yarn' || inv.name === 'pnpm' || inv.name === 'bun') &&
      !/^(add|install|i|remove|rm|uninstall|up|upgrade|update|link|unlink|global|patch|dedupe|prune|import|rebuild)$/.test(
        verb,
      ))
  ) {
    return void emit(s, 'shell.build.run', detail);
  }
  if (inv.argv.includes('-g') || inv.argv.includes('--global') || verb === 'link')
    return void emit(s, 'shell.packages.install-global', detail);
  if (inv.argv.some((a) => REMOTE_SPEC.test(a) || GITHUB_SHORTHAND.test(a)))
    emit(s, 'shell.packages.run-remote', detail);
  emit(s, 'shell.packages.install', detail);
};

const npx: Handler = (inv) => {
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (inv.argv[0] === 'install') return void emit(inv.session, 'shell.packages.install-global', detail);
  emit(inv.session, 'shell.packages.run-remote', detail);
  // `npx -p vitest sh -c '…'`, `npx -c '…'`: what runs is not the package the command names.
  // Only npx's own options count: in `npx tsc -p tsconfig.json`, `-p` is tsc's.
  const own = npxOptions(inv.argv);
  if (own.some((a) => /^(-p|--package|-c|--call|--from|--with)(=|$)/.test(a)))
    emit(inv.session, 'shell.dynamic-script', `${detail} runs a command other than the package named`);
};

/** npx/pnpx/uvx options take values; the first other word is the package, after which argv is its own. */
const NPX_VALUED = [
  '-p',
  '--package',
  '-c',
  '--call',
  '--from',
  '--with',
  '--registry',
  '--cache',
  '--python',
];

function npxOptions(argv: readonly string[]): string[] {
  const index = firstPositionalIndex(argv, NPX_VALUED);
  return index === -1 ? [...argv] : argv.slice(0, index);
}

const pip: Handler = (inv) => {
  const [verb = ''] = positionals(inv.argv, [
    '-r',
    '--requirement',
    '-c',
    '--constraint',
    '-i',
    '--index-url',
    '--extra-index-url',
    '-t',
    '--target',
    '--python',
  ]);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (
    /^(list|show|freeze|check|search|help|debug|inspect|index|hash|config|cache|download|wheel|--version|-V)$/.test(
      verb,
    ) ||
    verb === ''
  )
    return;
  if (inv.argv.some((a) => REMOTE_SPEC.test(a))) emit(inv.session, 'shell.packages.run-remote', detail);
  // Outside a project virtualenv pip installs into the user's or the system's site-packages.
  emit(
    inv.session,
    /(^|\/)\.?venv\/|virtualenvs?\//.test(inv.text)
      ? 'shell.packages.install'
      : 'shell.packages.install-global',
    detail,
  );
};

const systemPackages: Handler = (inv) => {
  const [verb = ''] = positionals(inv.argv, ['-o', '-t', '--target-release', '-c']);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (
    /^(list|search|show|info|policy|madison|depends|rdepends|list-installed|history|check|provides|whatprovides|repolist|doctor|config|outdated|deps|uses|desc|home|leaves|--version|-v|help|-h|-Q.*|-Ss|-Si|-Qi|-Ql)$/.test(
      verb,
    ) ||
    verb === ''
  )
    return;
  if (/^(remove|purge|autoremove|erase|uninstall|rm|-R.*)$/.test(verb))
    return void emit(inv.session, 'shell.packages.remove', detail);
  emit(inv.session, 'shell.packages.install-global', detail);
};

const PUBLISH: Record<string, RegExp> = {
  cargo: /^(publish|yank|owner|login)$/,
  twine: /^upload$/,
  gem: /^(push|yank|owner|signin)$/,
  poetry: /^publish$/,
  flit: /^publish$/,
  hatch: /^publish$/,
  uv: /^publish$/,
  dotnet: /^nuget$/,
  nuget: /^(push|delete)$/,
  mvn: /^deploy$/,
  gradle: /^(publish|publishToMavenCentral|uploadArchives)$/,
  vsce: /^(publish|unpublish)$/,
  ovsx: /^publish$/,
  goreleaser: /^release$/,
  pod: /^trunk$/,
  helm: /^push$/,
};

const BUILD_TOOLS = new Set([
  'make',
  'cmake',
  'ctest',
  'meson',
  'scons',
  'ninja',
  'cargo',
  'go',
  'mvn',
  'gradle',
  'gradlew',
  './gradlew',
  'dotnet',
  'tsc',
  'jest',
  'vitest',
  'pytest',
  'tox',
  'nox',
  'rspec',
  'rake',
  'bundle',
  'mix',
  'sbt',
  'swift',
  'xcodebuild',
  'bazel',
  'buck',
  'deno',
  'poetry',
  'uv',
  'pipenv',
  'hatch',
  'flit',
  'eslint',
  'prettier',
  'biome',
  'black',
  'ruff',
  'flake8',
  'mypy',
  'pylint',
  'isort',
  'rubocop',
  'gofmt',
  'rustfmt',
  'clippy',
  'composer',
  'phpunit',
  'mocha',
  'ava',
  'tap',
  'webpack',
  'vite',
  'esbuild',
  'rollup',
  'turbo',
  'nx',
  'lerna',
  'gcc',
  'g++',
  'clang',
  'clang++',
  'javac',
  'rustc',
  'zig',
  'gem',
  'twine',
  'nuget',
  'vsce',
  'ovsx',
  'goreleaser',
  'pod',
  'flutter',
  'dart',
  'elixir',
  'stack',
  'cabal',
  'ghc',
  'terraform-docs',
  'tflint',
  'hadolint',
  'golangci-lint',
  'staticcheck',
  'pre-commit',
  'just',
  'task',
]);

const GO_READ = /^(version|env|list|doc|vet|help|fmt)$/;

/**
 * `make -f -` / `make -f /dev/stdin`: the makefile comes from stdin, and its recipe lines (the
 * ones indented with a tab) are shell commands, judged as such. `--eval` adds makefile text too.
 */
function makefileFromInput(inv: Invocation): void {
  const judgeRecipes = (text: string) => {
    for (const line of text.split('\n')) {
      if (line.startsWith('\t'))
        inv.session.reparse(line.slice(1).replace(/^[@+-]+/, ''), nested(inv, 'make recipe'), {
          kind: 'unknown',
        });
    }
  };
  for (const text of optionValues(inv.argv, '--eval')) judgeRecipes(text.replace(/;\s*/, '\n\t'));
  const files = optionValues(inv.argv, '-f', '--file', '--makefile');
  if (!files.some((f) => f === '-' || f === '/dev/stdin' || f === '/dev/fd/0')) return;
  judgeScriptSource(inv, inv.stdin, 'make -f -', judgeRecipes, () =>
    emit(inv.session, 'shell.stdin-script-unknown', 'make reads a makefile from stdin'),
  );
}

/** `--dry-run` (not `--dry-run=false`): the publish step reports what it would do and stops. */
function isDryRun(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--dry-run' || a === '--dry-run=true');
}

const buildTool: Handler = (inv) => {
  if (inv.name === 'make') makefileFromInput(inv);
  const verbs = positionals(inv.argv, ['-C', '-f', '--file', '-j', '-p', '--project', '-o']);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  const publish = own(PUBLISH, inv.name);
  if (publish && verbs.some((v) => publish.test(v))) {
    if (isDryRun(inv.argv)) return;
    return void emit(inv.session, 'shell.packages.publish', detail);
  }
  if (inv.name === 'go' && GO_READ.test(verbs[0] ?? '')) return;
  if (inv.name === 'go' && verbs[0] === 'install')
    return void emit(inv.session, 'shell.packages.install-global', detail);
  if (inv.name === 'go' && verbs[0] === 'get')
    return void emit(inv.session, 'shell.packages.install', detail);
  if (inv.name === 'cargo' && verbs[0] === 'install')
    return void emit(inv.session, 'shell.packages.install-global', detail);
  if (inv.name === 'cargo' && /^(add|remove|update)$/.test(verbs[0] ?? ''))
    return void emit(inv.session, 'shell.packages.install', detail);
  if (inv.name === 'gem' && verbs[0] === 'install')
    return void emit(inv.session, 'shell.packages.install-global', detail);
  if (
    (inv.name === 'gem' || inv.name === 'bundle' || inv.name === 'composer') &&
    /^(install|update|add|require|remove|uninstall)$/.test(verbs[0] ?? '')
  ) {
    return void emit(inv.session, 'shell.packages.install', detail);
  }
  if (
    (inv.name === 'poetry' || inv.name === 'uv' || inv.name === 'pipenv') &&
    /^(add|remove|install|sync|lock|update|pip)$/.test(verbs[0] ?? '')
  ) {
    return void emit(inv.session, 'shell.packages.install', detail);
  }
  if (inv.argv.length === 1 && /^(--version|-v|version|--help|help)$/.test(inv.argv[0] as string)) return;
  if (
    (inv.name === 'make' &&
      verbs.some((v) =>
        /^(deploy|release|publish|install|uninstall|clean-all|distclean|destroy)$/.test(v),
      )) ||
    // A target or task named like a deploy (`just deploy`, `task release:prod`), not a path.
    verbs.some((v) => DEPLOY_SCRIPT.test(v) && !/[/.]/.test(v))
  ) {
    return void emit(inv.session, 'shell.build.deploy-target', detail);
  }
  if (/^(uv|poetry|pipenv|hatch|pdm)$/.test(inv.name) && verbs[0] === 'run' && /[/.]/.test(verbs[1] ?? '')) {
    // `uv run tools/fix.py`: a script file whose content is not shown.
    return void emit(inv.session, 'shell.script.run', detail);
  }
  emit(inv.session, 'shell.build.run', detail);
};

export function buildHandlers(): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const name of BUILD_TOOLS) out[name] = buildTool;
  return out;
}

/**
 * `gh release upload`, or `gh release create TAG FILE…`: files others will download and run, which
 * is publishing. A release of a tag with notes only is an ordinary write to the repository.
 */
function releasesAssets(argv: readonly string[], verb: string): boolean {
  if (verb === 'upload') return true;
  if (verb !== 'create') return false;
  const operands = positionals(argv, [
    '-n',
    '--notes',
    '-F',
    '--notes-file',
    '-t',
    '--title',
    '--target',
    '-R',
    '--repo',
    '--discussion-category',
    '--notes-start-tag',
  ]);
  return operands.length > 3;
}

/** The endpoint of `gh api -X DELETE ENDPOINT`, or undefined for other methods. */
function ghApiDelete(argv: readonly string[]): string | undefined {
  const method = optionValue(argv, '-X', '--method') ?? '';
  if (method.toUpperCase() !== 'DELETE') return undefined;
  return positionals(argv, [
    '-X',
    '--method',
    '-H',
    '--header',
    '-f',
    '-F',
    '--field',
    '--raw-field',
    '--input',
    '-q',
    '--jq',
    '-t',
    '--template',
    '--hostname',
  ])[1];
}

export const PACKAGE_HANDLERS: Record<string, Handler> = {
  ...buildHandlers(),
  npm: nodePackageManager,
  yarn: nodePackageManager,
  pnpm: nodePackageManager,
  bun: nodePackageManager,
  npx,
  pnpx: npx,
  bunx: npx,
  pipx: npx,
  uvx: npx,
  pip,
  pip3: pip,
  apt: systemPackages,
  'apt-get': systemPackages,
  aptitude: systemPackages,
  dpkg: (inv: Invocation) => {
    if (inv.argv.some((a) => /^-(i|r|P|-install|-remove|-purge|-configure)$/.test(a)))
      systemPackages({ ...inv, argv: ['install'] });
  },
  yum: systemPackages,
  dnf: systemPackages,
  zypper: systemPackages,
  apk: systemPackages,
  pacman: systemPackages,
  brew: systemPackages,
  port: systemPackages,
  snap: systemPackages,
  flatpak: systemPackages,
  rpm: (inv: Invocation) => {
    if (inv.argv.some((a) => /^-(i|U|e|F)/.test(a) || /^--(install|upgrade|erase)/.test(a)))
      systemPackages({ ...inv, argv: ['install'] });
  },
  choco: systemPackages,
  winget: systemPackages,
  gh: (inv: Invocation) => {
    const [group = '', verb = ''] = positionals(inv.argv, [
      '-R',
      '--repo',
      '-t',
      '--title',
      '-b',
      '--body',
      '-F',
      '--body-file',
      '-l',
      '--label',
      '-a',
      '--assignee',
      '-B',
      '--base',
      '-H',
      '--head',
    ]);
    const detail = `gh ${inv.argv.join(' ')}`;
    if (group === 'auth' && (verb === 'token' || inv.argv.includes('--show-token')))
      return void emit(inv.session, 'shell.credential.dump', detail);
    if (
      /^(list|view|status|diff|checks|browse|search|watch)$/.test(verb) ||
      /^(status|browse|search|help|version|--version)$/.test(group) ||
      group === ''
    )
      return;
    if (
      group === 'api' &&
      !inv.argv.some(
        (a) => /^(-X|--method)(=|$)|^-X[A-Z]/.test(a) || /^-[fF]$|^--(field|raw-field|input)/.test(a),
      )
    )
      return;
    if (group === 'api' && ghApiDelete(inv.argv) !== undefined) {
      // `DELETE repos/OWNER/REPO` is `gh repo delete`; deleting one issue comment or label is not.
      const path = ghApiDelete(inv.argv) as string;
      return void emit(
        inv.session,
        /^\/?repos\/[^/]+\/[^/]+\/?$/.test(path) ? 'shell.cloud.delete' : 'shell.net.delete',
        detail,
      );
    }
    if (group === 'release' && releasesAssets(inv.argv, verb))
      return void emit(inv.session, 'shell.packages.publish', detail);
    if (
      (group === 'repo' && /^(delete|archive|rename)$/.test(verb)) ||
      (group === 'release' && verb === 'delete')
    )
      return void emit(inv.session, 'shell.cloud.delete', detail);

    if (
      group === 'secret' ||
      group === 'ssh-key' ||
      group === 'gpg-key' ||
      (group === 'repo' && verb === 'deploy-key')
    )
      return void emit(inv.session, 'shell.cloud.iam', detail);
    emit(inv.session, 'shell.net.send', detail);
  },
};
