// The loop watchdog of commands that run lab code in their own process (src/cli/loop-watchdog.ts):
// a process whose code never returns to its event loop is told about on stderr and killed; one
// whose loop turns is left alone and exits by itself, the watchdog keeping nothing alive; a check
// held up with the whole process (a suspended laptop) judges nothing.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { stuck } from '../src/cli/loop-watchdog.js';

const watchdog = new URL('../src/cli/loop-watchdog.js', import.meta.url).href;

function run(body: string): ReturnType<typeof spawnSync> {
  const script = `import { watchLoop } from ${JSON.stringify(watchdog)};\nwatchLoop(1000, 'stuck: stopped');\n${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
}

describe('loop watchdog', function () {
  this.timeout(120_000);

  it('kills a process whose code spins, after saying so on stderr', () => {
    const r = run('setTimeout(() => { for (;;); }, 100);');
    expect(r.signal).to.equal('SIGKILL');
    expect(r.stderr).to.equal('stuck: stopped\n');
  });

  it('judges the loop stuck on a check without a beat that came on time, never on a late one (the whole process was held up)', () => {
    expect(stuck(7, 7, 1000, 1000), 'no beat, on time').to.equal(true);
    expect(stuck(8, 7, 1000, 1000), 'a beat').to.equal(false);
    expect(stuck(7, 7, 30_000, 1000), 'no beat, but the check itself came 29 s late: a suspended laptop').to.equal(false);
  });

  it('leaves a process alone while its loop turns, busy or not, and lets it exit', () => {
    // Busy turns of 200 ms each for 2 s: every turn ends, so the loop never stops for the limit.
    const r = run("const until = Date.now() + 2000;\nconst busy = () => { const t = Date.now(); while (Date.now() - t < 200); if (Date.now() < until) setTimeout(busy, 0); else console.log('done'); };\nbusy();");
    expect(r.status, String(r.stderr)).to.equal(0);
    expect(r.stdout).to.equal('done\n');
  });
});
