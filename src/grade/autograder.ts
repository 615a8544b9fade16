// The Gradescope autograder bundle (`rsmlab autograder`): a zip whose root is what Gradescope
// unpacks into /autograder/source: setup.sh (Node, npm ci, build), run_autograder (grades
// /autograder/submission with `rsmlab grade` and writes /autograder/results/results.json), and the
// grader's framework with the hand-out's labs (stubs: the bundle never carries the solutions; the
// submission brings its own labs/, or files placed among these) and the list of the files students
// write (the stubs have no solution regions left to tell them by; the rest of labs/ is graded as
// the bundle has it). It writes the zip; it never runs a submission.
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import AdmZip from 'adm-zip';
import { stripSolutions } from '../handout/strip.js';
import { instructorOnly } from '../handout/instructor-only.js';
import { STUDENT_FILES, studentFiles } from '../handout/student-files.js';
import { filesUnder } from '../files-under.js';

/** What the bundle carries from the grader's tree. */
const CARRIED = ['src', 'tester', 'labs', 'package.json', 'package-lock.json', 'tsconfig.json'];

export interface AutograderOptions {
  lab: string;
  /** Simulator seeds per scenario (1..seeds), fixed: the same submission gets the same score. */
  seeds: number;
  hangMs: number;
  memoryMb: number;
  /** A submission's whole grading bound: under Gradescope's own limit, so that a slow one still reports the tests it finished. */
  timeoutMs: number;
}

export function setupScript(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (as root, in /autograder/source).
set -euo pipefail
cd "$(dirname "$0")"
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
[ -d node_modules ] || npm ci
npm run build
`;
}

export function runScript(options: AutograderOptions): string {
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission. Paths follow Gradescope's layout; each can be moved
# with an environment variable (the bundle's own test does).
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
SOURCE="\${AUTOGRADER_SOURCE:-$ROOT/source}"
SUBMISSION="\${AUTOGRADER_SUBMISSION:-$ROOT/submission}"
RESULTS="\${AUTOGRADER_RESULTS:-$ROOT/results/results.json}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Searchable by others: the submission runs as a user of its own (rsmlab grade, as root) and must reach its tree.
chmod 711 "$WORK"
mkdir -p "$WORK/submissions" "$(dirname "$RESULTS")"
# The upload as one submission folder; rsmlab grade finds its labs/ (at its top or one folder down, or
# the lab's files alone, placed where they belong: src/grade/upload.ts) and says how it took it.
cp -R "$SUBMISSION" "$WORK/submissions/submission"
node "$SOURCE/dist/src/cli/main.js" grade --lab ${options.lab} --submissions "$WORK/submissions" --out "$WORK/out" --jobs 1 --seeds ${options.seeds} --hang-ms ${options.hangMs} --memory-mb ${options.memoryMb} --timeout-ms ${options.timeoutMs} > "$WORK/grade.log" 2>&1
if [ -f "$WORK/out/submission/results.json" ]; then
  cp "$WORK/out/submission/results.json" "$RESULTS"
else
  node -e 'const [log, out] = process.argv.slice(1); require("fs").writeFileSync(out, JSON.stringify({ score: 0, output: "The autograder could not grade this submission:\\n" + require("fs").readFileSync(log, "utf8").slice(-4000) }));' "$WORK/grade.log" "$RESULTS"
fi
`;
}

/** The bundle as a zip buffer: setup.sh, run_autograder, the carried tree, labs stripped to their stubs, and the list of the students' files. */
export function buildAutograder(repo: string, options: AutograderOptions): Buffer {
  const zip = new AdmZip();
  const executable = 0o755;
  zip.addFile('setup.sh', Buffer.from(setupScript()), '', executable);
  zip.addFile('run_autograder', Buffer.from(runScript(options)), '', executable);
  zip.addFile(STUDENT_FILES, Buffer.from(`${JSON.stringify(studentFiles(repo), null, 2)}\n`));
  for (const entry of CARRIED) {
    for (const file of filesUnder(join(repo, entry))) {
      const rel = relative(repo, file).split(sep).join('/');
      if (instructorOnly(rel)) continue;
      const text = readFileSync(file);
      const content = rel.startsWith('labs/') && rel.endsWith('.ts') ? Buffer.from(stripSolutions(rel, text.toString('utf8')).text) : text;
      zip.addFile(rel, content);
    }
  }
  return zip.toBuffer();
}
