import { writeFileSync } from 'node:fs';
import { policyJsonSchema } from '@gatehouse/risk';

// Rewrites packages/risk/policy/policy.schema.json from the policy schema
// (packages/risk/src/policy/schema.ts), the file editors validate policy YAML against.
writeFileSync(
  new URL('../packages/risk/policy/policy.schema.json', import.meta.url),
  `${JSON.stringify(policyJsonSchema(), null, 2)}\n`,
);
