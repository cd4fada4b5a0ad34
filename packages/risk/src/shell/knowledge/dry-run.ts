import { own } from '../../own.ts';
import { hasFlag, positionals } from '../argv.ts';

/**
 * Dry runs are reads: the tool's own flag (terraform plan and helm template are reads of their own) makes it print what it would do and change nothing.
 * Each tool is asked by its own grammar — kubectl `--dry-run=client|server` (not `none`), aws
 * `--dryrun` (s3) / `--dry-run` (ec2), rsync `-n`, make `-n`, git's per-subcommand `-n`, helm
 * `--dry-run`, apt `-s` … — never by searching the text for "dry": `git commit -n` skips hooks and
 * `kubectl --dry-run=none` runs for real. Only flags before a `--` count (after it they belong to
 * another program).
 */
type DryRunCheck = (argv: readonly string[]) => boolean;

function options(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
}

const kubectl: DryRunCheck = (argv) =>
  options(argv).some((a) => /^--dry-run(=(client|server|true))?$/.test(a)) &&
  !options(argv).some((a) => /^--dry-run=(none|false)$/.test(a)) &&
  // `kubectl exec/debug/attach` run commands in the pod; `--dry-run` does not apply to them.
  !/^(exec|debug|attach|cp|port-forward|proxy)$/.test(
    positionals(argv, ['-n', '--namespace', '--context'])[0] ?? '',
  );

const aws: DryRunCheck = (argv) => {
  const [service] = positionals(argv, ['--profile', '--region', '--output', '--query']);
  if (service === 's3') return options(argv).includes('--dryrun');
  return options(argv).includes('--dry-run') && !options(argv).includes('--no-dry-run');
};

const rsync: DryRunCheck = (argv) => hasFlag(options(argv), 'n', ['--dry-run']);

const make: DryRunCheck = (argv) =>
  hasFlag(options(argv), 'n', ['--dry-run', '--just-print', '--recon']) &&
  // `make -n` still runs `+` recipes and $(shell …); a makefile from stdin is not shown either.
  !options(argv).some((a) => a === '-f-' || a === '-f' || a === '--file=-');

/** git subcommands whose `-n` means dry run (for `commit` it means --no-verify). */
const GIT_DRY_N = new Set(['push', 'clean', 'add', 'rm', 'mv', 'prune', 'worktree', 'gc', 'remote']);
const git: DryRunCheck = (argv) => {
  const [sub = ''] = positionals(argv, ['-C', '-c', '--git-dir', '--work-tree']);
  const rest = argv.slice(argv.indexOf(sub) + 1);
  if (sub === 'clean')
    return hasFlag(options(rest), 'n', ['--dry-run']) && !hasFlag(options(rest), 'i', ['--interactive']);
  if (GIT_DRY_N.has(sub)) return hasFlag(options(rest), 'n', ['--dry-run']);
  return options(rest).includes('--dry-run');
};

const helm: DryRunCheck = (argv) => options(argv).some((a) => /^--dry-run(=(client|server|true))?$/.test(a));

const apt: DryRunCheck = (argv) =>
  hasFlag(options(argv), 's', ['--simulate', '--dry-run', '--just-print', '--recon', '--no-act']);

const withDryRunFlag: DryRunCheck = (argv) => options(argv).includes('--dry-run');

const ansible: DryRunCheck = (argv) => hasFlag(options(argv), 'C', ['--check']);

const DRY_RUN: Record<string, DryRunCheck> = {
  kubectl,
  oc: kubectl,
  aws,
  rsync,
  make,
  gmake: make,
  git,
  helm,
  'apt-get': apt,
  apt,
  npm: withDryRunFlag,
  pnpm: withDryRunFlag,
  yarn: withDryRunFlag,
  cargo: withDryRunFlag,
  pip: withDryRunFlag,
  pip3: withDryRunFlag,
  'ansible-playbook': ansible,
};

/** Whether this invocation is the tool's own dry run (prints the plan, changes nothing). */
export function isDryRun(program: string, argv: readonly string[]): boolean {
  return own(DRY_RUN, program)?.(argv) === true;
}
