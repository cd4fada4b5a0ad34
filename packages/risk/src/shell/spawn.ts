import type { Node } from 'web-tree-sitter';

/**
 * Process-spawning shapes that exhaust the host: a function that starts copies of itself in a
 * pipe or in the background (`:(){ :|:& };:` under any name), and loops that never end and
 * start a background job on every turn (`while true; do x & done`). Both are judged on the
 * syntax tree, so the name of the function and the spelling of the loop do not matter.
 */

/** The statement is followed by `&`: bash starts it in the background and goes on. */
export function isBackgrounded(node: Node): boolean {
  const next = node.nextSibling;
  return next !== null && !next.isNamed && next.type === '&';
}

/** Commands in `node` (not inside nested function definitions), with whether each runs concurrently. */
function* commands(node: Node, concurrent: boolean): Generator<{ node: Node; concurrent: boolean }> {
  const here = concurrent || isBackgrounded(node) || node.type === 'pipeline';
  if (node.type === 'command') yield { node, concurrent: here };
  for (const child of node.namedChildren) {
    if (child && child.type !== 'function_definition') yield* commands(child, here);
  }
}

function commandName(node: Node): string | undefined {
  return node.childForFieldName('name')?.text;
}

/** The function body calls the function itself in a pipe or in the background. */
export function spawnsItself(body: Node, name: string): boolean {
  for (const { node, concurrent } of commands(body, false)) {
    if (concurrent && commandName(node) === name) return true;
  }
  return false;
}

const ALWAYS_TRUE = /^(true|:|\[\s*1\s*\]|\[\[\s*1\s*\]\]|\(\(\s*1\s*\)\)|test 1)$/;

/** `while true; do … & done`, `until false`, `for ((;;))` with a background job in the body. */
export function isSpawnerLoop(node: Node): boolean {
  const body = node.childForFieldName('body');
  if (!body) return false;
  if (node.type === 'while_statement') {
    const condition = node.childForFieldName('condition')?.text.replace(/;\s*$/, '').trim() ?? '';
    const keyword = node.child(0)?.text;
    const endless = keyword === 'until' ? /^false$/.test(condition) : ALWAYS_TRUE.test(condition);
    if (!endless) return false;
  } else if (node.type === 'c_style_for_statement') {
    if (node.childForFieldName('condition')) return false;
  } else return false;
  for (const { concurrent } of commands(body, false)) if (concurrent) return true;
  return false;
}
