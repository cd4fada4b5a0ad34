/**
 * Properties of unwrapping (issue 12): a wrapper the engine unwraps never makes a dangerous
 * command look safer — score(W(C)) >= score(C) and tier(W(C)) >= tier(C), also for wrappers
 * nested in wrappers — and redirecting output or running a command in the background never
 * lowers its tier.
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseRiskEngine } from '../src/index.ts';
import { WRAPPERS } from './adversarial/generate.ts';
import { defaultEngine, loadCorpus, rank } from './helpers.ts';

/** Dangerous simple commands, one or more per class of the tier table. */
const DANGEROUS = [
  'rm -rf /',
  'rm -rf /etc',
  'dd if=/dev/zero of=/dev/sda',
  'iptables -t nat -F',
  'ip route del default',
  'kubectl delete namespace payments',
  'helm upgrade web ./chart -n prod',
  'git push --force origin main',
  'truncate -s 0 app.db',
  'systemctl stop postgresql',
  'kill -9 1',
  'psql -c "DROP TABLE users"',
  'cat ~/.ssh/id_rsa',
  'useradd -o -u 0 eli',
  'xmrig -o stratum+tcp://pool:3333',
  'terraform destroy -auto-approve',
  'find . -type f -exec rm {} +',
  'aws s3 rm s3://backups --recursive',
  'chmod u+s /bin/bash',
  'crontab -r',
];

/** Compound cores can only be wrapped by wrappers that take shell text. */
const COMPOUND = [':(){ :|:& };:', 'while true; do sleep 1 & done', 'f() { rm -rf /; }; f'];
const TEXT_WRAPPERS = [
  'bash -c',
  'sh -c',
  'eval',
  'ssh',
  'script -c',
  'subshell',
  'group',
  'and-list',
  'or-list',
];

const wrapperNames = Object.keys(WRAPPERS);

/** Wrappers that are shell syntax or take shell text: they can wrap anything. */
const ANY_INNER = new Set([...TEXT_WRAPPERS, 'redirect', 'background', 'nohup', 'var-prefix']);
/** Programs that take `VAR=value` words before the command. */
const TAKES_ASSIGNMENTS = new Set(['env', 'sudo', 'sudo -E']);

/**
 * Whether applying `chain` (innermost first) gives a command bash runs as meant: a program
 * wrapper (`nice`, `timeout`…) runs a simple command, not a list, a group or a background job.
 */
function valid(chain: string[]): boolean {
  let inner: 'simple' | 'assignment' | 'compound' = 'simple';
  for (const name of chain) {
    if (!ANY_INNER.has(name) && inner === 'compound') return false;
    if (!ANY_INNER.has(name) && inner === 'assignment' && !TAKES_ASSIGNMENTS.has(name)) return false;
    inner =
      name === 'var-prefix'
        ? 'assignment'
        : ANY_INNER.has(name) && !TEXT_WRAPPERS.slice(0, 5).includes(name)
          ? 'compound'
          : 'simple';
  }
  return true;
}

let engine: GatehouseRiskEngine;
beforeAll(async () => {
  engine = await defaultEngine();
});

function assess(command: string) {
  return engine.assess({ kind: 'shell', command });
}

describe('unwrapping never lowers the score or the tier', () => {
  it('score(W(C)) >= score(C) for every wrapper the engine unwraps, nested up to three deep', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DANGEROUS),
        fc.array(fc.constantFrom(...wrapperNames), { minLength: 1, maxLength: 3 }).filter(valid),
        (core, chain) => {
          const wrapped = chain.reduce((c, name) => (WRAPPERS[name] as (c: string) => string)(c), core);
          const inner = assess(core);
          const outer = assess(wrapped);
          expect(outer.score, `${wrapped} vs ${core}`).toBeGreaterThanOrEqual(inner.score);
          expect(rank(outer.tier), `${wrapped}: ${outer.tier} < ${inner.tier}`).toBeGreaterThanOrEqual(
            rank(inner.tier),
          );
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('holds for compound commands under the wrappers that run shell text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMPOUND), fc.constantFrom(...TEXT_WRAPPERS), (core, name) => {
        const wrapped = (WRAPPERS[name] as (c: string) => string)(core);
        const inner = assess(core);
        const outer = assess(wrapped);
        expect(outer.score, wrapped).toBeGreaterThanOrEqual(inner.score);
        expect(rank(outer.tier), wrapped).toBeGreaterThanOrEqual(rank(inner.tier));
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

describe('redirecting or backgrounding never lowers a tier', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const corpus = loadCorpus(join(here, 'corpus'), 'shell.jsonl', 'shell').items.filter(
    (i) => !i.context && !i.command.includes('\n') && !/<<|[&|;]\s*$|#/.test(i.command),
  );
  const suffixes = [
    ' > out.txt',
    ' >> log.txt',
    ' 2>&1',
    ' >/dev/null 2>&1',
    ' &',
    ' 2>/dev/null &',
    ' | cat',
  ];

  it('for any corpus command and any redirect or background suffix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus.map((i) => i.command)),
        fc.constantFrom(...suffixes),
        (command, suffix) => {
          const before = assess(command);
          const after = assess(command + suffix);
          expect(
            rank(after.tier),
            `${command}${suffix}: ${after.tier} < ${before.tier}`,
          ).toBeGreaterThanOrEqual(rank(before.tier));
        },
      ),
      { numRuns: 500, seed: 11 },
    );
  });
});
