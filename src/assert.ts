// Invariant assertions (TigerBeetle style): cheap checks that crash loudly in a test instead of
// letting state rot quietly. Never use them to validate input from a peer: that is the wire's job.

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** `message` may be a function, called only when the check fails: a hot path builds no text for checks that pass. */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === 'string' ? message : message());
}
