/** What a masked value was. The replacement text is `[MASKED:<type>]`. */
export type MaskType =
  | 'CARD'
  | 'IBAN'
  | 'EMAIL'
  | 'PHONE'
  | 'SSN'
  | 'AWS_ACCESS_KEY'
  | 'AWS_SECRET_KEY'
  | 'GITHUB_TOKEN'
  | 'SLACK_TOKEN'
  | 'STRIPE_KEY'
  | 'JWT'
  | 'PRIVATE_KEY'
  | 'URL_PASSWORD'
  | 'SECRET'
  | 'COLUMN';

/**
 * Every type, most specific first. When detections overlap, the longest one names the
 * replacement and this order breaks ties (a JWT assigned to `token=` is a JWT, not a SECRET).
 */
export const MASK_TYPES: readonly MaskType[] = Object.freeze([
  'PRIVATE_KEY',
  'JWT',
  'AWS_SECRET_KEY',
  'AWS_ACCESS_KEY',
  'GITHUB_TOKEN',
  'SLACK_TOKEN',
  'STRIPE_KEY',
  'URL_PASSWORD',
  'CARD',
  'IBAN',
  'SSN',
  'EMAIL',
  'PHONE',
  'SECRET',
  'COLUMN',
] as const);

export interface MaskingConfig {
  /** Detectors to run; default: all. */
  detectors?: MaskType[];
  /** Column names (case-insensitive, exact or glob like `*_token`) whose values are masked wholesale in tabular output. */
  columns?: string[];
  /** Minimum length and Shannon entropy (bits/char) for the generic SECRET detector. */
  entropy?: { minLength: number; minBitsPerChar: number };
  /** Literal strings never masked (e.g. a known public test key). */
  allow?: string[];
}

export interface MaskResult {
  text: string;
  counts: Partial<Record<MaskType, number>>;
  masked: number;
}

/** One detection. `ctxStart`/`ctxEnd` cover everything the detector looked at (e.g. the `password=` key), which a stream must not split. */
export interface Candidate {
  start: number;
  end: number;
  type: MaskType;
  ctxStart: number;
  ctxEnd: number;
}

export function marker(type: MaskType): string {
  return `[MASKED:${type}]`;
}
