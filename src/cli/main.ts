#!/usr/bin/env node
// The `rsmlab` command: parses arguments (commander) and hands each subcommand to a function
// that a test can call directly. It owns exit codes: 0 ok, 1 failed/not linearizable, 2 could
// not run (bad usage, missing lab, unexpected error), 141 its reader closed stdout early. No logic lives here.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ctlUsage } from '../control/client.js';
import { labNames } from '../../labs/index.js';
import { appNames } from '../apps/app.js';
import { testedLabs } from '../../tester/index.js';
import { HANG_MS } from '../../tester/lane.js';
import { mutantLabs } from '../../tester/mutants/index.js';
import { address, addresses, list, timingScale, whole } from './args.js';
import { repoRoot } from './repo.js';
import { buildIfStale } from './stale-build.js';
import type { WatchedJob } from './watched.js';
import type { SimCommandOptions } from './sim-command.js';
import type { ShrinkCommandOptions } from './shrink-command.js';

// A lab's stack trace names its .ts lines (labs/vsr/engine.ts:212), not dist/*.js: the subcommands,
// the tester and the labs load after this line (dynamic imports), so their source maps are read.
// The static imports above load first, so none of them may bring lab code (test/suite.test.ts).
process.setSourceMapsEnabled(true);

// A reader that stops early (`rsmlab ctl ADDR status | head`) closes our stdout. As with cat or grep
// (killed by SIGPIPE), the command ends at once and quietly, exit 141 (128 + SIGPIPE) so that a
// pipefail script never takes an unfinished run for a passing one; not with an 'Unhandled error' stack.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(141);
});

/** Every error the command prints starts with this, on stderr. */
function complain(e: unknown): void {
  process.stderr.write(`rsmlab: ${e instanceof Error ? e.message : String(e)}\n`);
}

/** Run a subcommand and exit with its code; an unexpected error is exit 2 with a clear message. */
function exitWith(run: () => Promise<number | void>): Promise<void> {
  return run().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (e: unknown) => {
      complain(e);
      process.exitCode = 2;
    },
  );
}

/** For a long-running server: a startup error exits 2 at once, closing whatever it had opened (nothing half-starts). */
function exitAtOnce(run: () => Promise<void>): Promise<void> {
  return run().catch((e: unknown) => {
    complain(e);
    process.exit(2);
  });
}

/** `rsmlab sim` and `rsmlab shrink`: the command in a worker watched for hangs (src/cli/watched.ts). */
function watched(job: WatchedJob, hangMs: number): Promise<void> {
  return exitWith(async () => (await import('./watched.js')).runWatched(job, hangMs));
}

const { version } = JSON.parse(readFileSync(`${repoRoot()}/package.json`, 'utf8')) as { version: string };

const program = new Command('rsmlab')
  .description('Replicated state machine labs: one protocol code, a deterministic simulator and real processes.')
  .version(version, '-V, --version', 'print rsmlab\'s version')
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'rsmlab: ')) })
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('start')
  .description('the main job (`npm start`): a local cluster of real node processes under light client load, with the dashboard')
  .addOption(new Option('--lab <lab>', 'lab to run').choices(labNames).default('rsm'))
  .addOption(new Option('--app <app>', 'replicated app for the rsm, vsr and par labs (default kv)').choices(appNames))
  .option('--nodes <n>', 'how many nodes', whole('--nodes', 1), 3)
  .option('--port <port>', 'the dashboard\'s port (0: any free port)', whole('--port', 0, 65535), 8080)
  .option('--host <address>', 'the dashboard\'s address; anything but loopback needs --token', '127.0.0.1')
  .option('--token <token>', 'the token every control request must carry (default on loopback: a random one, given to the page)')
  .option('--clients <n>', 'client load on an rsm, vsr or par cluster: concurrent clients (0: none)', whole('--clients', 0), 2)
  .option('--timing-scale <factor>', 'multiply every timing constant (1 = the classic 3 s heartbeat)', timingScale('--timing-scale'), 0.5)
  .option('--seconds <s>', 'stop after this many seconds (default: run until Ctrl-C)', whole('--seconds', 1))
  .action((o: { lab: string; app?: string; nodes: number; port: number; host: string; token?: string; clients: number; timingScale: number; seconds?: number }, command: Command) =>
    // A start that fails (a node that cannot start) exits 2 at once, its nodes and dashboard closed.
    exitAtOnce(async () => {
      process.exitCode = await (await import('./start-command.js')).startCommand({ ...o, clientsGiven: command.getOptionValueSource('clients') === 'cli' });
    }),
  );

program
  .command('node')
  .description('run one node as this process: protocol on --port, test-control plane on --port+1')
  .requiredOption('--lab <lab>', `lab to run (${labNames.join(', ')})`)
  .requiredOption('--port <port>', 'protocol port (control plane on port+1)', whole('--port', 1, 65534))
  .requiredOption('--first <host:port>', 'the node to join through; a node whose first is itself founds view 1', address('--first'))
  .requiredOption('--dir <dir>', 'data directory (disk, trace, log)')
  .option('--app <app>', 'replicated app for the rsm lab (kv or lock)')
  .option('--host <host>', 'address to bind and to be known by', '127.0.0.1')
  .option('--control-host <host>', 'address the control plane binds; anything but loopback needs --control-token', '127.0.0.1')
  .option('--control-token <token>', 'the token every control call must carry (rsmlab ctl --token T)')
  .option('--timing-scale <factor>', 'multiply every timing constant (0.1 = 300 ms heartbeats)', timingScale('--timing-scale'), 1)
  .option('--timing <json>', 'every timing constant as a JSON object (overrides --timing-scale; the tester passes its exact timing)')
  .option('--replicas <list>', 'the static replica set, comma-separated HOST:PORT in replica-index order (vsr)', addresses('--replicas'))
  .option('--index <i>', 'this node\'s index in --replicas (default: where --host:--port appears in it)', whole('--index', 0))
  .option('--pipeline-max <n>', 'vsr, par: uncommitted prepares the primary keeps in flight at most (default 64)', whole('--pipeline-max', 1, 1024))
  .option('--batch-max <n>', 'vsr, par: client writes one prepare carries at most (default 1: no batching)', whole('--batch-max', 1, 1024))
  .action((o: import('./node-command.js').NodeCommandOptions) => exitAtOnce(async () => (await import('./node-command.js')).nodeCommand(o)));

program
  .command('test')
  .description('run a lab\'s scenarios and print a table with points; exit 0 all passed, 1 some failed, 2 could not run')
  .argument('<lab>', testedLabs.join(', '))
  .addOption(new Option('--world <world>', 'where to run').choices(['sim', 'real', 'both']).default('both'))
  .option('--seeds <n>', 'simulator seeds per scenario (a VOPR scenario runs several runs per seed: its row says how many)', whole('--seeds', 1), 200)
  .option('--seed <n>', 'first seed', whole('--seed', 0), 1)
  .option('--only <ids>', 'comma-separated scenario ids', list('--only'))
  .option('--jobs <n>', 'worker processes at once; one scenario\'s seeds are split across them (default: the number of cores in the simulator, 1 for real processes)', whole('--jobs', 1))
  .option('--fail-fast', 'stop each test at its first failing seed (default: run every seed and count the failures)')
  .option('--shrink-ms <ms>', 'shrink the lowest failing seed of each failed test for up to this long (simulator; 0: never)', whole('--shrink-ms', 0), 10_000)
  .option('--lab-module <file#export>', 'run the scenarios on the Lab this compiled module exports (a broken variant) instead of the lab itself (simulator only)')
  .option('--mutant <id>', 'run the scenarios on this mutant of the lab\'s corpus instead of the lab itself (simulator only)')
  .option('--gradescope <file>', 'also write Gradescope results.json here')
  .option('--junit <file>', 'also write JUnit XML here')
  .option('--json', 'print the results as JSON instead of a table')
  .option('--artifacts <dir>', 'where failing runs leave their trace and notes', 'failures')
  .option('--hang-ms <ms>', `kill a run that makes no progress for this long (default: ${HANG_MS.sim} in the simulator, ${HANG_MS.real} for real processes)`, whole('--hang-ms', 1))
  .option('--no-progress', 'no progress bar (on a stderr that is no terminal: no line every 15 s)')
  .action((lab: string, o: { world: 'sim' | 'real' | 'both'; seeds: number; seed: number; only?: string[]; jobs?: number; failFast?: boolean; shrinkMs: number; labModule?: string; mutant?: string; gradescope?: string; junit?: string; json?: boolean; artifacts: string; hangMs?: number; progress: boolean }) =>
    exitWith(async () => {
      const { testCommand } = await import('./test-command.js');
      return testCommand(lab, { ...o, seedBase: o.seed, progress: o.progress });
    }),
  );

program
  .command('sim')
  .description('replay one scenario in the simulator with a seed; prints PASS/FAIL and the trace hash')
  .argument('<lab>', testedLabs.join(', '))
  .argument('<scenario>', 'scenario id')
  .requiredOption('--seed <n>', 'the seed', whole('--seed', 0))
  .option('--trace <file>', 'write the trace JSONL here')
  .option('--json', 'print the result as JSON')
  .option('--artifacts <dir>', 'where a failing run leaves its trace and notes', 'failures')
  .option('--veto <file-or-ids>', 'veto fault decisions: a veto file written by `rsmlab shrink`, or comma-separated decision ids')
  .option('--lab-module <file#export>', 'run the Lab this compiled module exports (a broken variant) instead of the lab itself')
  .option('--mutant <id>', 'run this mutant of the lab\'s corpus (`rsmlab mutants` prints its replay command) instead of the lab itself')
  .option('--hang-ms <ms>', 'stop a replay whose lab code makes no progress for this long, and say where it was stuck', whole('--hang-ms', 1), HANG_MS.sim)
  .action((lab: string, scenario: string, { hangMs, ...options }: SimCommandOptions & { hangMs: number }) => watched({ command: 'sim', lab, scenario, options }, hangMs));

program
  .command('shrink')
  .description('shrink a failing simulator seed: the fewest fault decisions that still fail the same check, with its replay command; exit 0 shrunk, 1 the run hung or crashed, 2 could not run (the seed passes, a bad flag)')
  .argument('<lab>', testedLabs.join(', '))
  .argument('<scenario>', 'scenario id')
  .requiredOption('--seed <n>', 'the failing seed', whole('--seed', 0))
  .option('--shrink-ms <ms>', 'search for at most this long; the smallest failing set found so far is the result', whole('--shrink-ms', 1), 60_000)
  .option('--artifacts <dir>', 'where the failing run and its shrunk rerun leave their traces and notes', 'failures')
  .option('--lab-module <file#export>', 'run the Lab this compiled module exports (a broken variant) instead of the lab itself')
  .option('--mutant <id>', 'run this mutant of the lab\'s corpus instead of the lab itself')
  .option('--json', 'print the failing run and the shrink result as JSON')
  .option('--hang-ms <ms>', 'stop a run whose lab code makes no progress for this long, and say where it was stuck', whole('--hang-ms', 1), HANG_MS.sim)
  .action((lab: string, scenario: string, { hangMs, ...options }: ShrinkCommandOptions & { hangMs: number }) => watched({ command: 'shrink', lab, scenario, options }, hangMs));

program
  .command('mutants')
  .description('the mutant gate: run the lab\'s scenarios against every planted bug of its corpus; exit 0 all caught, 1 some survived')
  .argument('<lab>', mutantLabs.join(', '))
  .option('--seeds <n>', 'simulator seeds per scenario', whole('--seeds', 1), 30)
  .option('--seed <n>', 'first seed', whole('--seed', 0), 1)
  .option('--jobs <n>', 'worker processes at once', whole('--jobs', 1), 2)
  .option('--only <ids>', 'comma-separated mutant ids', list('--only'))
  .option('--rates', 'run every seed of every scenario and print detection rates (slower)')
  .option('--json', 'print the verdicts as JSON')
  .option('--hang-ms <ms>', 'a mutant whose run makes no progress for this long counts as caught (hung)', whole('--hang-ms', 1), 60_000)
  .action((lab: string, o: { seeds: number; seed: number; jobs: number; only?: string[]; rates?: boolean; json?: boolean; hangMs: number }) =>
    exitWith(async () => (await import('./mutants-command.js')).mutantsCommand(lab, o)),
  );

program
  .command('grade')
  .description('grade a folder of submissions (each the student\'s labs/) in isolation; writes grades.csv and a report per student')
  .requiredOption('--lab <lab>', `the lab (${testedLabs.join(', ')})`)
  .requiredOption('--submissions <dir>', 'a folder with one folder per student, each holding the student\'s labs/')
  .option('--out <dir>', 'where grades.csv and the reports go', 'grades')
  .option('--jobs <n>', 'submissions graded at once', whole('--jobs', 1), 2)
  .option('--seeds <n>', 'simulator seeds per scenario (seeds 1..n, the same for everyone)', whole('--seeds', 1), 20)
  .option('--only <ids>', 'comma-separated scenario ids', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .option('--hang-ms <ms>', 'a scenario run with no progress for this long scores 0 (hung)', whole('--hang-ms', 1), 10_000)
  .option('--timeout-ms <ms>', 'a submission whose grading (its compile included) takes longer is stopped; unfinished tests score 0', whole('--timeout-ms', 1), 900_000)
  .option('--memory-mb <mb>', 'heap bound of every process running submission code', whole('--memory-mb', 1), 512)
  .option('--no-progress', 'say nothing on stderr as each submission is graded')
  .action((o: { lab: string; submissions: string; out: string; jobs: number; seeds: number; only?: string[]; hangMs: number; timeoutMs: number; memoryMb: number; progress: boolean }) =>
    exitWith(async () => (await import('./grade-command.js')).gradeCommand(o)),
  );

program
  .command('autograder')
  .description('write a Gradescope autograder bundle for a lab (setup.sh, run_autograder and the framework, without solutions)')
  .requiredOption('--lab <lab>', `the lab (${testedLabs.join(', ')})`)
  .requiredOption('--out <file.zip>', 'the bundle to write')
  .option('--seeds <n>', 'simulator seeds per scenario (seeds 1..n, the same for everyone)', whole('--seeds', 1), 20)
  .option('--hang-ms <ms>', 'a scenario run with no progress for this long scores 0 (hung)', whole('--hang-ms', 1), 10_000)
  .option('--memory-mb <mb>', 'heap bound of every process running submission code', whole('--memory-mb', 1), 512)
  // Gradescope stops a run at its own limit (10 minutes unless the assignment sets more) and then shows no result at all.
  .option('--timeout-ms <ms>', "a submission's grading (its compile included) is stopped after this long, keeping the tests it finished: keep it under the assignment's Gradescope limit", whole('--timeout-ms', 1), 540_000)
  .action((o: { lab: string; out: string; seeds: number; hangMs: number; memoryMb: number; timeoutMs: number }) =>
    exitWith(async () => (await import('./autograder-command.js')).autograderCommand(o)),
  );

program
  .command('ctl')
  .description('drive a live node through its test-control plane (port+1)')
  .argument('<node>', 'the node\'s protocol address HOST:PORT')
  .argument('<command>', 'one of the commands below')
  .argument('[args...]', 'the command\'s arguments')
  .allowUnknownOption()
  .addHelpText('after', () => `\nCommands:\n${ctlUsage.replace(/^/gm, '  ')}\n\nExample: rsmlab ctl 127.0.0.1:7000 partition --now`)
  .action((node: string, command: string, args: string[]) =>
    exitWith(async () => {
      const { ctl } = await import('../control/client.js');
      process.stdout.write(`${JSON.stringify(await ctl(node, command, args), null, 2)}\n`);
    }),
  );

program
  .command('check')
  .description('check a history for linearizability; exit 0 linearizable, 1 not, 2 unknown or unreadable')
  .argument('<file>', 'history file')
  .addOption(new Option('--model <model>', 'the object the history talks to').choices(['register', 'kv', 'lock']).makeOptionMandatory())
  .addOption(new Option('--format <format>', 'history format (default: detected from the content)').choices(['jsonl', 'jepsen', 'edn']))
  .option('--json', 'print the verdict, the time taken and the diagnostics as JSON')
  .option('--timeout-ms <ms>', 'give up with "unknown" after this long', whole('--timeout-ms', 1))
  .action((file: string, o: { model: 'register' | 'kv' | 'lock'; format?: 'jsonl' | 'jepsen' | 'edn'; json?: boolean; timeoutMs?: number }) =>
    exitWith(async () => {
      const { runCheck } = await import('../check/run.js');
      const { exitCode, output, error } = await runCheck(file, o);
      if (output !== '') process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
      if (error !== undefined) complain(error);
      return exitCode;
    }),
  );

program
  .command('load')
  .description('drive a live rsm, vsr or par cluster with concurrent clients and record the history for `rsmlab check`')
  .requiredOption('--members <list>', 'comma-separated HOST:PORT of the cluster\'s nodes', addresses('--members'))
  .addOption(new Option('--lab <lab>', 'the lab the cluster runs (its client library)').choices(['rsm', 'vsr', 'par']).default('rsm'))
  .option('--clients <n>', 'concurrent clients', whole('--clients', 1), 4)
  .option('--ops <m>', 'operations per client (KV ops, or lock acquire/release cycles)', whole('--ops', 1), 100)
  .addOption(new Option('--app <app>', 'the app the cluster runs').choices(['kv', 'lock']).default('kv'))
  .option('--history <file>', 'write the history here as JSONL')
  .option('--timing-scale <factor>', 'the cluster\'s timing scale (client timeouts and retry pauses follow it)', timingScale('--timing-scale'), 1)
  .option('--seed <n>', 'seed of the workload\'s choices', whole('--seed', 0))
  .action((o: { members: string[]; lab: 'rsm' | 'vsr' | 'par'; clients: number; ops: number; app: 'kv' | 'lock'; history?: string; timingScale: number; seed?: number }) =>
    exitWith(async () => (await import('./load-command.js')).loadCommand(o)),
  );

program
  .command('view')
  .description('open a failure artifact (a failures/ folder or a trace file) in the trace viewer in your browser')
  .argument('<target>', 'a failures/ folder or a trace .jsonl file')
  .option('--html <file>', 'write one self-contained page here instead of serving it')
  .option('--port <port>', 'the viewer\'s port (0: any free port)', whole('--port', 0, 65535), 8080)
  .option('--host <address>', 'the viewer\'s address; anything but loopback needs --token', '127.0.0.1')
  .option('--token <token>', 'required with a non-loopback --host')
  .option('--seconds <s>', 'stop serving after this many seconds (default: until Ctrl-C)', whole('--seconds', 1))
  .action((target: string, o: { html?: string; port: number; host: string; token?: string; seconds?: number }) =>
    exitWith(async () => (await import('./view-command.js')).viewCommand(target, o)),
  );

program
  .command('dashboard')
  .description('the dashboard for a running cluster (--members) or a simulated run, live (--sim LAB TEST --seed N)')
  .option('--members <list>', 'comma-separated HOST:PORT of a running cluster\'s nodes', addresses('--members'))
  .option('--sim <lab-and-test...>', 'run scenario TEST of LAB in the simulator, live: play, pause, step, speed')
  .option('--seed <n>', 'the simulated run\'s seed', whole('--seed', 0), 1)
  .option('--paused', 'start the simulated run paused (play or step it from the page)')
  .option('--port <port>', 'the dashboard\'s port (0: any free port)', whole('--port', 0, 65535), 8080)
  .option('--host <address>', 'the dashboard\'s address; anything but loopback needs --token', '127.0.0.1')
  .option('--token <token>', 'the token every control request must carry')
  .option('--seconds <s>', 'stop after this many seconds (default: until Ctrl-C)', whole('--seconds', 1))
  .action((o: { members?: string[]; sim?: string[]; seed: number; paused?: boolean; port: number; host: string; token?: string; seconds?: number }) =>
    exitWith(async () => (await import('./dashboard-command.js')).dashboardCommand(o)),
  );

program
  .command('handout')
  .description('write the student distribution: this tree with every solution region replaced by its stub')
  .requiredOption('--out <dir>', 'an empty or new folder')
  .action((o: { out: string }) =>
    exitWith(async () => {
      const { generateHandout } = await import('../handout/generate.js');
      const { repoRoot } = await import('./repo.js');
      const summary = generateHandout(repoRoot(), o.out);
      const regions = Object.values(summary.stripped).reduce((a, b) => a + b, 0);
      process.stdout.write(`wrote ${summary.files} files to ${summary.out}; replaced ${regions} solution regions in ${Object.keys(summary.stripped).length} lab files\n`);
    }),
  );

/** The commands that run this tree's lab code: each builds it first if a lab source changed since the last build. */
const RUNS_LABS = new Set(['test', 'sim', 'shrink', 'mutants', 'start', 'dashboard', 'node']);
program.hook('preAction', (_program, action) => {
  if (RUNS_LABS.has(action.name())) buildIfStale(repoRoot(), (line) => process.stderr.write(`${line}\n`));
});

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`rsmlab: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
