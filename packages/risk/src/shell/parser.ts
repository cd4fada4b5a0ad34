import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/** Wall-clock budget for one parse; beyond it the input counts as not understood. */
export const PARSE_BUDGET_MS = 100;

let language: Language | undefined;
let loading: Promise<Language> | undefined;

/** Loads the bash grammar once per process (the only asynchronous step of the shell analyzer). */
export async function initShellParser(): Promise<void> {
  if (language) return;
  loading ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    return Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  })();
  language = await loading;
}

/** A parser bound to the bash grammar. One per engine; parsing is synchronous. */
export class BashParser {
  private readonly parser: Parser;
  /** When the parse in progress must give up (`performance.now()` time). */
  private deadline = 0;
  /** Created once per parser rather than per parse: it only reads the current deadline. */
  private readonly options = {
    progressCallback: (() => performance.now() > this.deadline) as unknown as (state: unknown) => void,
  };

  constructor() {
    if (!language) throw new Error('initShellParser() must complete before creating a BashParser');
    this.parser = new Parser();
    this.parser.setLanguage(language);
  }

  /**
   * Parses `text`; the caller must `delete()` the tree. Returns null when the parser gives up or
   * runs past `budgetMs` (error recovery on adversarial input can be superlinear).
   */
  parse(text: string, budgetMs = PARSE_BUDGET_MS): Tree | null {
    this.deadline = performance.now() + budgetMs;
    try {
      return this.parser.parse(text, null, this.options);
    } finally {
      this.parser.reset();
    }
  }
}
