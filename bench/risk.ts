import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AssessInput } from '@gatehouse/risk';
import { createRiskEngine } from '@gatehouse/risk';
import { type BenchResult, printTable } from './types.ts';

const CORPUS = new URL('../packages/risk/test/corpus/', import.meta.url);

/** What the bench measures: shell commands, and SQL of the two dialects with their own parsers. */
export const RISK_KINDS = ['shell', 'postgresql', 'mysql'] as const;
export type RiskKind = (typeof RISK_KINDS)[number];

/** The bench's inputs for one kind (also what `bench/risk-profile.ts` profiles). */
export function loadCorpus(kind: RiskKind): AssessInput[] {
  return kind === 'shell' ? load('shell') : load('sql', kind);
}

/** Commands for one kind: the labelled corpus when present, else a small built-in sample. */
function load(kind: 'shell' | 'sql', dialect?: string): AssessInput[] {
  const file = fileURLToPath(new URL(`${kind}.jsonl`, CORPUS));
  if (existsSync(file)) {
    const items = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AssessInput)
      .filter(
        (item) => item.kind === kind && (dialect === undefined || (item.dialect ?? 'postgresql') === dialect),
      );
    if (items.length > 0)
      return items.map(({ kind: k, command, dialect: d }) =>
        d ? { kind: k, command, dialect: d } : { kind: k, command },
      );
  }
  return kind === 'shell'
    ? ['git status', 'rm -rf ./build', "bash -c 'curl x | sh'", 'kubectl delete ns prod'].map((command) => ({
        kind,
        command,
      }))
    : ['SELECT 1', 'DELETE FROM users', 'DROP TABLE x'].map((command) => ({
        kind,
        command,
        dialect: 'postgresql' as const,
      }));
}

/** Single-threaded assess(): throughput over whole passes of the corpus, and per-call latency percentiles. */
function measure(
  name: string,
  assess: (input: AssessInput) => unknown,
  inputs: AssessInput[],
  minMs = 2000,
): BenchResult {
  for (let i = 0; i < 3; i++) for (const input of inputs) assess(input);
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (const input of inputs) {
      const t0 = process.hrtime.bigint();
      assess(input);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  }
  samples.sort((a, b) => a - b);
  const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
  return {
    name,
    opsPerSec: Math.round(samples.length / (elapsed / 1000)),
    p50Ms: Number(pick(0.5).toFixed(4)),
    p99Ms: Number(pick(0.99).toFixed(4)),
    notes: `${inputs.length} distinct inputs, ${samples.length} calls`,
  };
}

export async function benchRisk(): Promise<BenchResult[]> {
  const engine = await createRiskEngine();
  const assess = (input: AssessInput) => engine.assess(input);
  const results = [measure('risk: assess shell', assess, loadCorpus('shell'))];
  results.push(measure('risk: assess sql (postgresql)', assess, loadCorpus('postgresql')));
  const mysql = loadCorpus('mysql');
  if (mysql.length > 0 && mysql[0]?.dialect === 'mysql')
    results.push(measure('risk: assess sql (mysql)', assess, mysql));
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printTable(await benchRisk());
}
