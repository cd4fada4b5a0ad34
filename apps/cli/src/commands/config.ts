import { type ConfigEntry, describeConfig } from '@gatehouse/server';
import type { CommandIO } from '../io.ts';
import { table } from '../table.ts';

/** `gatehouse config`: what `gatehouse start` would run with, secrets redacted. */
export async function config(options: { json?: boolean }, io: CommandIO): Promise<number> {
  const entries = describeConfig();
  if (options.json) {
    // `null` rather than a missing key, so every variable appears in the JSON too.
    const shown = entries.map(({ variable, value, source }) => ({ variable, value: value ?? null, source }));
    io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    `${table(
      ['variable', 'value', 'source'],
      entries.map((entry) => [entry.variable, shown(entry), entry.source]),
      '',
    )}\n`,
  );
  return 0;
}

function shown(entry: ConfigEntry): string {
  if (entry.value === undefined) return entry.unset ? `(unset: ${entry.unset})` : '(unset)';
  return typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value);
}
