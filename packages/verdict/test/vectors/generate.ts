import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildVectors } from './build.ts';

// Writes the shared vectors: node --import tsx packages/verdict/test/vectors/generate.ts
export const VECTORS_FILE = fileURLToPath(new URL('./verdicts.json', import.meta.url));

export function serialize(vectors: Awaited<ReturnType<typeof buildVectors>>): string {
  return `${JSON.stringify(vectors, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(VECTORS_FILE, serialize(await buildVectors()));
  console.log(`wrote ${VECTORS_FILE}`);
}
