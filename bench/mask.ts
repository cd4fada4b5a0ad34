import { fileURLToPath } from 'node:url';
import { maskText, StreamMasker } from '@gatehouse/mask';
import { type BenchResult, percentile, printTable } from './types.ts';

const CHUNK = 64 * 1024;
const CORPUS_BYTES = 8 * 1024 * 1024;

/** Deterministic PRNG so every run masks the same text. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SECRETS = [
  'user jane.roe@example.org logged in',
  'card 4111 1111 1111 1111 charged',
  'export GITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4',
  'DATABASE_URL=postgres://app:Tr0ub4dor3x@db:5432/app',
  'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
  'call +14155552671 about ssn 123-45-6789',
  'api_key: "Zq8Lw2Rt5Yx9Vb3Nm7Kc1Jh4Gf6Ds0Pa"',
];

/**
 * Mixed command output: application logs, JSON API responses, psql-style result tables, git and
 * build output, with about 1% of lines carrying a secret or personal datum.
 */
function corpus(bytes: number): string {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line: string;
    const kind = r();
    if (kind < 0.01) line = pick(SECRETS);
    else if (kind < 0.35)
      line = `2026-11-22T10:${String(Math.floor(r() * 60)).padStart(2, '0')}:12.345Z ${pick(['INFO', 'WARN', 'DEBUG'])} [${pick(['http', 'worker', 'db'])}] request ${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)} ${pick(['GET', 'POST'])} /api/v2/orders/${Math.floor(r() * 1e6)} ${pick([200, 201, 404, 500])} ${Math.floor(r() * 900)}ms`;
    else if (kind < 0.6)
      line = JSON.stringify({
        id: Math.floor(r() * 1e9),
        status: pick(['active', 'pending', 'closed']),
        total: Math.round(r() * 1e5) / 100,
        updated_at: '2026-11-21T08:00:00Z',
        tags: [pick(['eu', 'us']), pick(['retail', 'b2b'])],
        sha: hex(40),
      });
    else if (kind < 0.85)
      line = ` ${String(Math.floor(r() * 1e5)).padStart(6)} | ${pick(['Oslo', 'Rome', 'Lima', 'Kyiv']).padEnd(8)} | ${String(Math.floor(r() * 1e4)).padStart(6)} | ${pick(['t', 'f'])} | 2026-11-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
    else
      line = pick([
        `commit ${hex(40)}`,
        `  src/components/OrderTable.tsx   | ${Math.floor(r() * 40)} ++++----`,
        `added 1287 packages, and audited 1288 packages in ${Math.floor(r() * 30)}s`,
        `drwxr-xr-x  5 app app 4096 Nov 22 10:32 node_modules`,
        `#${Math.floor(r() * 20)} [build 3/7] RUN npm ci --omit=dev`,
        `sha256:${hex(64)}`,
      ]);
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK) out.push(text.slice(i, i + CHUNK));
  return out;
}

function measure(
  name: string,
  pieces: string[],
  run: (piece: string) => void,
  after?: () => void,
): BenchResult {
  for (const p of pieces.slice(0, 16)) run(p);
  const samples: number[] = [];
  let bytes = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 3000) {
    for (const p of pieces) {
      const t0 = process.hrtime.bigint();
      run(p);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytes += p.length;
    }
    after?.();
    elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  }
  samples.sort((a, b) => a - b);
  const mbPerSec = bytes / 1024 / 1024 / (elapsed / 1000);
  return {
    name,
    opsPerSec: Math.round(samples.length / (elapsed / 1000)),
    p50Ms: Number(percentile(samples, 50).toFixed(3)),
    p99Ms: Number(percentile(samples, 99).toFixed(3)),
    notes: `${mbPerSec.toFixed(1)} MB/s of mixed output, 64 KiB chunks, ~1% secret lines`,
  };
}

export async function benchMask(): Promise<BenchResult[]> {
  const text = corpus(CORPUS_BYTES);
  const pieces = chunks(text);
  const results = [measure('mask: maskText per chunk', pieces, (p) => maskText(p))];
  let stream = new StreamMasker();
  results.push(
    measure(
      'mask: StreamMasker.push',
      pieces,
      (p) => stream.push(p),
      () => {
        stream.end();
        stream = new StreamMasker();
      },
    ),
  );
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printTable(await benchMask());
}
