import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AssessInput } from '@gatehouse/risk';
import { loadCorpus, RISK_KINDS, type RiskKind } from './risk.ts';

/**
 * `node --import tsx bench/risk-profile.ts [shell|postgresql|mysql] [seconds] [out.cpuprofile]`:
 * where `assess()` spends its time over the bench's corpus, in the steady state (after a
 * warm-up, without start-up). Prints self time by function and inclusive time of the risk
 * engine's functions, with TypeScript file:line (tsx compiles each module to one line, so a raw
 * `node --cpu-prof` profile says only "line 1"); optionally writes the mapped profile for
 * Chrome DevTools or speedscope.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const kind = (process.argv[2] ?? 'shell') as RiskKind;
if (!RISK_KINDS.includes(kind)) throw new Error(`kind must be one of ${RISK_KINDS.join(', ')}`);
const seconds = Number(process.argv[3] ?? 5);
const out = process.argv[4];

// Before the engine is imported, so that tsx's inline source maps are kept for `findSourceMap`.
process.setSourceMapsEnabled(true);
const { createRiskEngine } = await import('@gatehouse/risk');
const engine = await createRiskEngine();
const inputs: AssessInput[] = loadCorpus(kind);

for (let i = 0; i < 5; i++) for (const input of inputs) engine.assess(input);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
let calls = 0;
const started = performance.now();
while (performance.now() - started < seconds * 1000) {
  for (const input of inputs) engine.assess(input);
  calls += inputs.length;
}
const elapsed = performance.now() - started;
const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
session.disconnect();

for (const node of profile.nodes) toSource(node.callFrame);
if (out) writeFileSync(out, JSON.stringify(profile));
console.log(`${kind}: ${calls} assessments in ${(elapsed / 1000).toFixed(1)} s (profiler on)\n`);
report(profile);

/** Maps a frame of tsx-compiled code back to its TypeScript file and line. */
function toSource(frame: CallFrame): void {
  if (!frame.url.startsWith('file://')) return;
  const map = findSourceMap(frame.url) ?? findSourceMap(fileURLToPath(frame.url));
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalLine' in entry) {
    frame.lineNumber = entry.originalLine;
    frame.columnNumber = entry.originalColumn;
  }
}

function label(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(packages|node_modules)\//, '').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'}  ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
}

/** Self time by function, and inclusive time (each function once per sample) of the engine's own code. */
function report(p: CpuProfile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const stackOf = (id: number) => {
    const stack: ProfileNode[] = [];
    for (let n = byId.get(id); n; n = byId.get(parent.get(n.id) ?? -1)) stack.push(n);
    return stack;
  };
  p.samples.forEach((id, i) => {
    const stack = stackOf(id);
    // Stopping the profiler is sampled too (it serialises the profile): not the engine's time.
    if (stack.length === 0 || stack.some((n) => n.callFrame.url === 'node:inspector')) return;
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const name = label((stack[0] as ProfileNode).callFrame);
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (const n of stack) {
      if (!n.callFrame.url.includes('/packages/risk/')) continue;
      const key = label(n.callFrame);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      seen.add(key);
    }
  });
  const print = (title: string, times: Map<string, number>, rows: number) => {
    console.log(title);
    for (const [name, t] of [...times].sort((a, b) => b[1] - a[1]).slice(0, rows))
      console.log(`${((100 * t) / total).toFixed(1).padStart(6)} %  ${name}`);
    console.log();
  };
  print('self time', self, 40);
  print('inclusive time, packages/risk', inclusive, 40);
}
