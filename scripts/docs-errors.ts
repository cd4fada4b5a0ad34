import { writeFileSync } from 'node:fs';
import { errorCatalogueMarkdown } from '@gatehouse/contract';

// Rewrites docs/errors.md from the error catalogue (packages/contract/src/errors.ts).
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorCatalogueMarkdown());
