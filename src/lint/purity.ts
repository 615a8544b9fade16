// The static half of the determinism rule: finds calls in lab code that reach past the Env
// (clocks, randomness, node:crypto's random ids, real timers and queues, files, the process). The simulator refuses the same calls at
// run time; this check catches them before anything runs, in code paths no test reaches.

export interface PurityViolation {
  file: string;
  line: number;
  text: string;
  use: string;
}

const forbidden: ReadonlyArray<{ pattern: RegExp; use: string }> = [
  { pattern: /\bDate\.now\s*\(/, use: 'env.now()' },
  { pattern: /\bnew\s+Date\s*\(/, use: 'env.now()' },
  { pattern: /\bperformance\.\w+/, use: 'env.now()' },
  { pattern: /\bprocess\.hrtime\b/, use: 'env.now()' },
  { pattern: /\bMath\.random\s*\(/, use: 'env.random()' },
  { pattern: /\b(randomUUID|randomBytes|randomFill|randomFillSync|randomInt|getRandomValues|pseudoRandomBytes|webcrypto)\b/, use: 'env.nonce() for unique ids, env.random() for numbers' },
  { pattern: /\b(setTimeout|setInterval|setImmediate)\s*\(/, use: 'env.setTimer() or env.sleep()' },
  { pattern: /\b(process\.nextTick|queueMicrotask)\b/, use: 'env.setTimer(0, fn) or an await' },
  { pattern: /from\s+['"](node:)?(fs|fs\/promises)['"]/, use: 'env.disk' },
  { pattern: /\brequire\s*\(/, use: 'an ES import of framework code' },
  { pattern: /\bprocess\.(exit|env|argv|kill)\b/, use: 'env (breakpoint, options)' },
];

/** Lines of `source` that break the rule; comment-only lines are skipped. */
export function findPurityViolations(file: string, source: string): PurityViolation[] {
  const violations: PurityViolation[] = [];
  source.split('\n').forEach((raw, index) => {
    const text = raw.trim();
    if (text.startsWith('//') || text.startsWith('*') || text.startsWith('/*')) return;
    for (const { pattern, use } of forbidden) {
      if (pattern.test(text)) violations.push({ file, line: index + 1, text, use });
    }
  });
  return violations;
}
