export { DEFAULT_MASKING, MaskingConfigError, parseMaskingConfig } from './config.ts';
export { maskText } from './engine.ts';
export { maskOrWithhold, type SafeMaskResult, WITHHELD } from './safe.ts';
export { StreamMasker } from './stream.ts';
export { maskTable } from './table.ts';
export type { MaskingConfig, MaskResult, MaskType } from './types.ts';
