// The script run_autograder (src/grade/autograder.ts) runs around `rsmlab grade`: `place` turns
// Gradescope's upload into the labs/ folder to grade (src/grade/upload.ts decides where its files
// go), and `note` tells the student, in results.json, how their upload was taken.
import { readFileSync, writeFileSync } from 'node:fs';
import { UPLOAD_INSTRUCTION, findLabs, placeUpload, placementNote } from './upload.js';

function writeResults(results: string, content: object): void {
  writeFileSync(results, `${JSON.stringify(content, null, 2)}\n`);
}

/** Score 0 with why, and what to upload: Gradescope shows the top-level output above the (no) tests. */
function refuse(results: string, why: string): number {
  writeResults(results, { score: 0, output: `The autograder found nothing to grade in your upload: ${why}.\n${UPLOAD_INSTRUCTION}` });
  return 1;
}

function place(upload: string, stubs: string, dest: string, results: string): number {
  try {
    const placement = findLabs(upload, stubs);
    if (placement.kind === 'refused') return refuse(results, placement.reason);
    placeUpload(placement, upload, stubs, dest);
    process.stdout.write(placementNote(placement));
    return 0;
  } catch (e) {
    return refuse(results, `it could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The note as results.json's top-level output, ahead of any output it had. */
function note(results: string, text: string): number {
  const graded = JSON.parse(readFileSync(results, 'utf8')) as { output?: string };
  writeResults(results, { ...graded, output: [text, graded.output].filter(Boolean).join('\n') });
  return 0;
}

/**
 * `place UPLOAD STUBS DEST RESULTS`: exit 0, the upload's lab code in DEST and the note on stdout;
 * exit 1, nothing to grade, RESULTS written (score 0 and what to upload).
 * `note RESULTS NOTE`: NOTE added to RESULTS.
 */
function main(args: string[]): number {
  const [command, ...rest] = args;
  if (command === 'place' && rest.length === 4) return place(rest[0]!, rest[1]!, rest[2]!, rest[3]!);
  if (command === 'note' && rest.length === 2) return note(rest[0]!, rest[1]!);
  process.stderr.write('usage: place-upload.js place UPLOAD STUBS DEST RESULTS | note RESULTS NOTE\n');
  return 2;
}

process.exit(main(process.argv.slice(2)));
