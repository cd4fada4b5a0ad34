import { type ColumnMatcher, compileColumns } from './columns.ts';
import { MASK_TYPES, type MaskingConfig, type MaskType } from './types.ts';

/** Columns masked in every table, whatever the policy adds. */
const DEFAULT_COLUMNS = [
  'email',
  'e_mail',
  'email_address',
  '*_email',
  'ssn',
  'social_security_number',
  'tax_id',
  'card_number',
  'credit_card',
  'credit_card_number',
  'cc_number',
  'pan',
  'cvv',
  'cvc',
  'iban',
  'account_number',
  'routing_number',
  'phone',
  'phone_number',
  'mobile',
  'date_of_birth',
  'dob',
  'password',
  'password_hash',
  'passwd',
  '*_password',
  'secret',
  '*_secret',
  'token',
  '*_token',
  'api_key',
  '*_api_key',
  'private_key',
  '*_private_key',
];

export const DEFAULT_MASKING: Required<MaskingConfig> = Object.freeze({
  detectors: Object.freeze([...MASK_TYPES]) as MaskType[],
  columns: Object.freeze([...DEFAULT_COLUMNS]) as string[],
  entropy: Object.freeze({ minLength: 20, minBitsPerChar: 3.5 }),
  allow: Object.freeze([]) as unknown as string[],
});

/** A `masking:` policy section that cannot be used. `path` points into the section, e.g. `masking.detectors[2]`. */
export class MaskingConfigError extends Error {
  readonly code = 'ERR_MASKING_CONFIG' as const;
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'MaskingConfigError';
    this.path = path;
  }
}

const KNOWN_KEYS = new Set(['detectors', 'columns', 'entropy', 'allow']);
const ENTROPY_LIMITS = { minLength: [8, 4096], minBitsPerChar: [1, 6] } as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function stringList(value: unknown, path: string, maxLength: number): string[] {
  if (!Array.isArray(value)) throw new MaskingConfigError(path, 'must be a list of strings');
  return value.map((item, i) => {
    if (typeof item !== 'string' || item.trim() === '')
      throw new MaskingConfigError(`${path}[${i}]`, 'must be a non-empty string');
    if (item.length > maxLength)
      throw new MaskingConfigError(`${path}[${i}]`, `must be at most ${maxLength} characters`);
    return item;
  });
}

/**
 * Validates the `masking:` section of a policy (already parsed from YAML). An absent section
 * (`undefined`/`null`) means the defaults. Unknown keys are errors: a misspelt `detector:` must not
 * silently leave masking at a setting nobody chose.
 */
export function parseMaskingConfig(value: unknown): MaskingConfig {
  const root = 'masking';
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new MaskingConfigError(root, 'must be a mapping');
  for (const key of Object.keys(value))
    if (!KNOWN_KEYS.has(key))
      throw new MaskingConfigError(
        `${root}.${key}`,
        'unknown key (expected detectors, columns, entropy, allow)',
      );

  const out: MaskingConfig = {};
  if (value.detectors !== undefined) {
    const names = stringList(value.detectors, `${root}.detectors`, 64);
    out.detectors = names.map((name, i) => {
      const type = name.trim().toUpperCase() as MaskType;
      if (!MASK_TYPES.includes(type))
        throw new MaskingConfigError(
          `${root}.detectors[${i}]`,
          `unknown detector "${name}" (known: ${MASK_TYPES.join(', ')})`,
        );
      return type;
    });
  }
  if (value.columns !== undefined) {
    out.columns = stringList(value.columns, `${root}.columns`, 128).map((c, i) => {
      if (!/^[\w$*?.\- ]+$/.test(c.trim()))
        throw new MaskingConfigError(
          `${root}.columns[${i}]`,
          'may contain only letters, digits, _ $ . - and the wildcards * ?',
        );
      return c.trim();
    });
  }
  if (value.entropy !== undefined) {
    const e = value.entropy;
    if (!isPlainObject(e)) throw new MaskingConfigError(`${root}.entropy`, 'must be a mapping');
    for (const key of Object.keys(e))
      if (key !== 'minLength' && key !== 'minBitsPerChar')
        throw new MaskingConfigError(
          `${root}.entropy.${key}`,
          'unknown key (expected minLength, minBitsPerChar)',
        );
    const entropy = { ...DEFAULT_MASKING.entropy };
    for (const key of ['minLength', 'minBitsPerChar'] as const) {
      const v = e[key];
      if (v === undefined) continue;
      const [lo, hi] = ENTROPY_LIMITS[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
        throw new MaskingConfigError(`${root}.entropy.${key}`, `must be a number from ${lo} to ${hi}`);
      if (key === 'minLength' && !Number.isInteger(v))
        throw new MaskingConfigError(`${root}.entropy.${key}`, 'must be an integer');
      entropy[key] = v;
    }
    out.entropy = entropy;
  }
  if (value.allow !== undefined) out.allow = stringList(value.allow, `${root}.allow`, 4096);
  return out;
}

/** A configuration ready for scanning: validated, merged with the defaults, column rules compiled. */
export interface ResolvedConfig {
  enabled: ReadonlySet<MaskType>;
  isSensitiveColumn: ColumnMatcher;
  minLength: number;
  minBitsPerChar: number;
  allow: readonly string[];
}

const cache = new WeakMap<object, ResolvedConfig>();
let defaults: ResolvedConfig | undefined;

/**
 * Validation and compilation happen once per config object: configs are treated as immutable,
 * which is how a policy hands them out. Custom columns and allow entries add to the defaults, so a
 * policy that names one extra column does not quietly unmask `ssn`; to stop column masking
 * altogether, leave `COLUMN` out of `detectors`.
 */
export function resolveConfig(config?: MaskingConfig): ResolvedConfig {
  if (config === undefined || config === null) {
    defaults ??= build({});
    return defaults;
  }
  if (typeof config !== 'object') throw new MaskingConfigError('masking', 'must be a mapping');
  const hit = cache.get(config);
  if (hit) return hit;
  const resolved = build(parseMaskingConfig({ ...config }));
  cache.set(config, resolved);
  return resolved;
}

function build(c: MaskingConfig): ResolvedConfig {
  const entropy = c.entropy ?? DEFAULT_MASKING.entropy;
  return {
    enabled: new Set(c.detectors ?? DEFAULT_MASKING.detectors),
    isSensitiveColumn: compileColumns([...DEFAULT_MASKING.columns, ...(c.columns ?? [])]),
    minLength: entropy.minLength,
    minBitsPerChar: entropy.minBitsPerChar,
    allow: [...new Set(c.allow ?? [])],
  };
}
