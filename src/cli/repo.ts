// Where the rsmlab tree is, found from this compiled module's own location (dist/src/cli/),
// so commands work from any working directory.
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  return fileURLToPath(new URL('../../..', import.meta.url));
}
