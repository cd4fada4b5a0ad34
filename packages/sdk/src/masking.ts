import { type MaskingConfig, maskOrWithhold, WITHHELD } from '@gatehouse/mask';

export interface MaskedCapture {
  stdout: string;
  stderr: string;
  masked: number;
  withheld: boolean;
}

/**
 * Masks captured output before it is handed to the caller. Fail closed: if either stream
 * cannot be masked, both are withheld, since what one leaks the other may complete.
 */
export function maskCaptured(stdout: string, stderr: string, config?: MaskingConfig): MaskedCapture {
  const out = maskOrWithhold(stdout, config);
  const err = maskOrWithhold(stderr, config);
  if (!out.ok || !err.ok) return { stdout: WITHHELD, stderr: WITHHELD, masked: 0, withheld: true };
  return { stdout: out.text, stderr: err.text, masked: out.masked + err.masked, withheld: false };
}
