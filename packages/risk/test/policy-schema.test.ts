import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRiskEngine, loadPolicy, policyJsonSchema, readDefaultPolicyText } from '../src/index.ts';

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

describe('the insights: section (drift thresholds, read by the server)', () => {
  const policy = (insights: string) => `version: '1'\nextends: default\ninsights:\n${insights}`;

  it('is carried through to the resolved policy as written', async () => {
    const engine = await createRiskEngine(
      policy('  drift: { windowDays: 3, ceilingPercent: 90, risePoints: 5 }\n'),
    );
    expect(engine.policy.insights).toEqual({ drift: { windowDays: 3, ceilingPercent: 90, risePoints: 5 } });
    expect((await createRiskEngine()).policy.insights).toBeUndefined();
  });

  it('refuses unknown keys and values out of range, pointing at them', () => {
    expect(() => loadPolicy(policy('  drift: { windowDays: 0 }\n'))).toThrow(
      /windowDays must be an integer from 1 to 90/,
    );
    expect(() => loadPolicy(policy('  drift: { ceilingPercent: 120 }\n'))).toThrow(/ceilingPercent/);
    expect(() => loadPolicy(policy('  drift: { window: 7 }\n'))).toThrow(/window/);
    expect(() => loadPolicy(policy('  dashboards: {}\n'))).toThrow(/dashboards/);
    const validate = editorValidator();
    expect(validate({ version: '1', extends: 'default', insights: { drift: { minRequests: 10 } } })).toBe(
      true,
    );
    expect(validate({ version: '1', extends: 'default', insights: { drift: { minRequests: 0 } } })).toBe(
      false,
    );
  });
});
