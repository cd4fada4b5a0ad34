import { maskOrWithhold } from '@gatehouse/mask';

// Masking of command output before it reaches a model. Fail closed: if masking fails, the
// output is withheld, never passed on unmasked.

export const WITHHELD = '[WITHHELD: output could not be masked]';

export interface Masked {
  ok: boolean;
  text: string;
  masked: number;
}

export function maskOutput(text: string): Masked {
  if (text === '') return { ok: true, text, masked: 0 };
  try {
    const result = maskOrWithhold(text);
    if (result.ok) return { ok: true, text: result.text, masked: result.masked };
  } catch {
    // maskOrWithhold does not throw by contract; if it ever does, the output is withheld.
  }
  return { ok: false, text: WITHHELD, masked: 0 };
}
