import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '@gatehouse/server';

// `npm run docs:config`: rewrites the configuration table in README.md from the config schema.
// With --check, changes nothing and exits 1 when the committed table is out of date.

const readme = new URL('../README.md', import.meta.url);
const current = readFileSync(readme, 'utf8');
const updated = withConfigTable(current);
if (process.argv.includes('--check')) {
  if (updated !== current) {
    process.stderr.write('README.md: the configuration table is out of date; run `npm run docs:config`\n');
    process.exitCode = 1;
  }
} else if (updated !== current) {
  writeFileSync(readme, updated);
  process.stdout.write('README.md: configuration table updated\n');
}
