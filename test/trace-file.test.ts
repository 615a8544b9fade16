// The real node's trace file: every line lands once, in order, whether it left on the thread pool
// or in flush(), across reopenings (a restarted node appends), with writes in flight at a flush.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { TraceFile } from '../src/env/real/trace-file.js';

describe('trace file', function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rsmlab-trace-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (from: number, n: number, width = 40): string[] => Array.from({ length: n }, (_, i) => `{"seq":${from + i},"pad":"${'x'.repeat(width)}é"}`);
  const text = (ls: string[]): string => ls.map((l) => `${l}\n`).join('');
  /** The file's text once it is `expected`, or its last text after 10 s: the timed append runs on the thread pool, later on a loaded host. */
  const landed = async (path: string, expected: string): Promise<string> => {
    let now = readFileSync(path, 'utf8');
    for (let tries = 0; now !== expected && tries < 500; tries++) {
      await pause(20);
      now = readFileSync(path, 'utf8');
    }
    return now;
  };

  it('appends lines in order after what the file held, written in the background and by flush()', async function () {
    const path = join(dir, 'trace.jsonl');
    writeFileSync(path, 'earlier\n');
    const file = new TraceFile(path);
    const first = lines(0, 100);
    for (const l of first) file.write(l);
    expect(await landed(path, `earlier\n${text(first)}`)).to.equal(`earlier\n${text(first)}`); // with no flush()
    const second = lines(100, 50);
    for (const l of second) file.write(l);
    file.flush();
    expect(readFileSync(path, 'utf8')).to.equal(`earlier\n${text(first)}${text(second)}`);
  });

  it('loses and repeats nothing when flush() meets writes in flight, past the buffer, and lines after it', async function () {
    const path = join(dir, 'trace.jsonl');
    const file = new TraceFile(path);
    const all: string[] = [];
    // Several buffers' worth (1 MiB each) in one turn: chunks queue behind the one in flight.
    const big = lines(0, 30_000, 100);
    for (const l of big) file.write(l);
    all.push(...big);
    const huge = `{"huge":"${'y'.repeat(1 << 20)}"}`; // longer than a buffer: a chunk of its own
    file.write(huge);
    all.push(huge);
    file.flush(); // with the first chunk still in flight
    expect(readFileSync(path, 'utf8')).to.equal(text(all));
    const after = lines(30_000, 10);
    for (const l of after) file.write(l); // reopens while the old descriptor's write may still be in flight
    all.push(...after);
    await pause(80);
    file.flush();
    expect(readFileSync(path, 'utf8')).to.equal(text(all));
  });
});
