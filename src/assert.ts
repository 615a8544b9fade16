// Invariant assertions (TigerBeetle style): cheap checks that crash loudly in a test instead of
// letting state rot quietly. Never use them to validate input from a peer: that is the wire's job.

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}
