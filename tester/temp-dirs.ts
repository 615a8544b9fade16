// The temporary folders of this process's open real clusters, removed when the process ends before
// it closes them (Ctrl-C in `rsmlab test`, its parent gone): a cluster closed in time removes its own
// (or keeps it for a failure's report). It owns only that list; it never removes anything else.
import { rmSync } from 'node:fs';

const open = new Set<string>();

export function holdTempDir(dir: string): void {
  open.add(dir);
}

export function releaseTempDir(dir: string): void {
  open.delete(dir);
}

/** At this process's exit, remove the folders still held. Once per process (a lane worker's). */
export function removeTempDirsAtExit(): void {
  process.once('exit', () => {
    for (const dir of open) rmSync(dir, { recursive: true, force: true });
  });
}
