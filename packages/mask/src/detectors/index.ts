import type { Detector } from '../detector.ts';
import { awsDetector } from './aws.ts';
import { cardDetector } from './card.ts';
import { emailDetector } from './email.ts';
import { ibanDetector } from './iban.ts';
import { jwtDetector } from './jwt.ts';
import { phoneDetector } from './phone.ts';
import { privateKeyDetector } from './private-key.ts';
import { secretDetector } from './secret.ts';
import { ssnDetector } from './ssn.ts';
import { tokenDetector } from './tokens.ts';
import { urlPasswordDetector } from './url-password.ts';

/** Every free-text detector. COLUMN has none here: it applies to tables (see `table.ts`). */
export const DETECTORS: readonly Detector[] = [
  privateKeyDetector,
  jwtDetector,
  awsDetector,
  tokenDetector,
  urlPasswordDetector,
  cardDetector,
  ibanDetector,
  ssnDetector,
  emailDetector,
  phoneDetector,
  secretDetector,
];
