import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withGatehouseProcess } from './api.ts';
import { flameGraphSvg, lastSeconds, type Profile, selfTimeBy } from './cpuprofile.ts';
import { closedLoop } from './load.ts';

/**
 * `npm run bench:profile [-- <out.svg>]`: a CPU profile of one API process on the auto-approve
 * path (PostgreSQL, 32 connections), printed as self time by area and by function, and drawn as
 * a flame graph. docs/performance.md explains how to read it.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const out = process.argv[2];

const profileDir = mkdtempSync(join(tmpdir(), 'gh-profile-'));
try {
  const { completed, seconds } = await withGatehouseProcess(
    {
      entry: 'apps/cli/bin/gatehouse.js',
      args: ['start'],
      // One process, so the profile is the whole of the API's work.
      env: { GATEHOUSE_WORKERS: '1' },
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    },
    async (decisions) => {
      await closedLoop(decisions, 32, 2);
      return closedLoop(decisions, 32, SECONDS);
    },
  );
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the API process wrote no profile');
  // The measured seconds, without start-up, warm-up and the graceful stop (about a second).
  const whole = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profile;
  const profile = lastSeconds(whole, SECONDS + 1);
  console.log(`${(completed / seconds).toFixed(0)} auto-approvals/s while profiling\n`);
  for (const [title, by] of [
    ['area', 'area'],
    ['function', 'function'],
  ] as const) {
    console.log(`| ${title} | self % |\n| --- | ---: |`);
    for (const row of selfTimeBy(profile, by).slice(0, by === 'area' ? 15 : 25)) {
      console.log(`| ${row.key} | ${row.percent.toFixed(1)} |`);
    }
    console.log();
  }
  if (out) {
    writeFileSync(out, flameGraphSvg(profile, 'Gatehouse API, auto-approve path'));
    console.log(`flame graph written to ${out}`);
  }
} finally {
  rmSync(profileDir, { recursive: true, force: true });
}
