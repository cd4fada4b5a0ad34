import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { policyJsonSchema, readDefaultPolicyText } from '../src/index.ts';

const committed = new URL('../policy/policy.schema.json', import.meta.url);

// Editors (yaml-language-server, VS Code) validate policy files with a standard JSON Schema
// validator, not with the loader: check the published file with one.
function editorValidator() {
  // `what` and `errorMessage` are annotations of ours and yaml-language-server's.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(committed, 'utf8')));
}

describe('published policy JSON Schema', () => {
  it('is the schema the loader uses (regenerate with npm run docs:policy-schema)', () => {
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(policyJsonSchema());
  });

  it('accepts the bundled default policy', async () => {
    const validate = editorValidator();
    const policy = parse(await readDefaultPolicyText());
    expect(validate(policy), JSON.stringify(validate.errors)).toBe(true);
  });

  it('flags what the loader refuses: an unknown key, a wrong tier, a weight out of range', () => {
    const validate = editorValidator();
    const base = { version: '1', thresholds: { review: 25, multi_party: 60, deny: 90 } };
    const rule = { id: 'team.x', category: 'irreversible', weight: 70, explanation: 'x' };
    expect(validate({ ...base, rules: [rule] })).toBe(true);
    expect(validate({ ...base, rules: [rule], colour: 'red' })).toBe(false);
    expect(validate({ ...base, rules: [{ ...rule, floor: 'never' }] })).toBe(false);
    expect(validate({ ...base, rules: [{ ...rule, weight: 300 }] })).toBe(false);
  });

  it('is named on the first line of the default policy for editors', async () => {
    expect((await readDefaultPolicyText()).split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./policy.schema.json',
    );
  });
});
