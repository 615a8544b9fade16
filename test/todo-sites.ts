// Finds each TODO a hand-out stub throws (`throw new Error('TODO: …')`) and the named function it
// sits in, by the lab files' indentation (one statement or signature per line, two spaces a level).
// It reads text only; it never compiles, runs or edits a lab file.

export interface TodoSite {
  /** 1-based line of the throw. */
  line: number;
  /** The message after `TODO: `, up to the end of the line (a template's `${…}` left as written). */
  message: string;
  /** The nearest enclosing named function, method or arrow function bound to a name; undefined at top level. */
  fn: string | undefined;
}

const TODO_THROW = /throw new Error\((['"`])TODO: (.*)$/;
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'with']);
const NAMED_FUNCTION = /^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/;
const METHOD = /^(?:(?:public|protected|private|static|async|override|readonly|get|set)\s+)*\*?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\((?:.*\{)?\s*$/;
const NAMED_ARROW = /^(?:export\s+)?(?:const|let|var)?\s*([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:async\s+)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::[^=]*)?=>/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The name `line` (trimmed) declares as a function, if it opens one. */
export function functionNamed(text: string): string | undefined {
  const named = NAMED_FUNCTION.exec(text) ?? NAMED_ARROW.exec(text);
  if (named) return named[1];
  const method = /=>\s*\{\s*$/.test(text) ? null : METHOD.exec(text);
  return method && !KEYWORDS.has(method[1]!) ? method[1] : undefined;
}

/** The line that starts the statement ending at `index` (a signature's `): T {` continues the line above it at its indent). */
function statementStart(lines: readonly string[], index: number): number {
  const indent = indentOf(lines[index]!);
  let at = index;
  while (at > 0 && /^[)\]]/.test(lines[at]!.trimStart())) {
    at--;
    while (at > 0 && (lines[at]!.trim() === '' || indentOf(lines[at]!) !== indent)) at--;
  }
  return at;
}

/** The nearest named function around line `index`: each less-indented line above opens an enclosing block. */
export function enclosingFunction(lines: readonly string[], index: number): string | undefined {
  let indent = indentOf(lines[index]!);
  for (let at = index - 1; at >= 0; at--) {
    const text = lines[at]!;
    if (text.trim() === '' || indentOf(text) >= indent) continue;
    at = statementStart(lines, at);
    indent = indentOf(lines[at]!);
    const name = functionNamed(lines[at]!.trim());
    if (name !== undefined) return name;
  }
  return undefined;
}

/** Every TODO throw in `source`, with the function it sits in. */
export function todoSites(source: string): TodoSite[] {
  const lines = source.split('\n');
  return lines.flatMap((text, index) => {
    const todo = TODO_THROW.exec(text);
    return todo ? [{ line: index + 1, message: todo[2]!, fn: enclosingFunction(lines, index) }] : [];
  });
}
