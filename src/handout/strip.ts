// Turns a reference lab file into the student's: every `// BEGIN SOLUTION` … `// END SOLUTION`
// region becomes the stub written inside it on `// STUDENT: ` lines, or a TODO that throws.
// One copy of every protocol: the skeleton is derived, never maintained by hand.

export interface StripResult {
  text: string;
  /** How many solution regions were replaced. */
  regions: number;
}

const BEGIN = /^(\s*)\/\/ BEGIN SOLUTION\s*$/;
const END = /^\s*\/\/ END SOLUTION\s*$/;
const STUDENT = /^\s*\/\/ STUDENT: ?(.*)$/;

export class MarkerError extends Error {
  constructor(file: string, line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'MarkerError';
  }
}

export function stripSolutions(file: string, source: string): StripResult {
  const out: string[] = [];
  let regions = 0;
  let open: { line: number; indent: string; stub: string[] } | undefined;
  source.split('\n').forEach((line, index) => {
    const begin = BEGIN.exec(line);
    if (begin) {
      if (open) throw new MarkerError(file, index + 1, `BEGIN SOLUTION inside the region opened at line ${open.line}`);
      open = { line: index + 1, indent: begin[1] ?? '', stub: [] };
      return;
    }
    if (END.test(line)) {
      if (!open) throw new MarkerError(file, index + 1, 'END SOLUTION without BEGIN SOLUTION');
      const stub = open.stub.length > 0 ? open.stub : [`throw new Error('TODO: ${file}:${open.line}: write this part');`];
      out.push(...stub.map((s) => `${open!.indent}${s}`));
      regions++;
      open = undefined;
      return;
    }
    if (!open) {
      out.push(line);
      return;
    }
    const student = STUDENT.exec(line);
    if (student) open.stub.push(student[1] ?? '');
  });
  if (open) throw new MarkerError(file, open.line, 'BEGIN SOLUTION is never closed');
  return { text: out.join('\n'), regions };
}
