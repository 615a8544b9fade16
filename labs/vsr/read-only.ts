// Which client ops are read-only, so the primary may answer them without a log entry (after it
// verifies its authority). One rule for the engine and the client library; it never executes an op.
import type { AppName } from '../../src/apps/app.js';
import { kvOp } from '../../src/apps/kv.js';

export function isReadOnly(app: AppName, op: unknown): boolean {
  if (app !== 'kv') return false;
  const parsed = kvOp.safeParse(op);
  return parsed.success && parsed.data.f === 'get';
}
