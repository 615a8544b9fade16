// A scenario: one graded test, written once against the Cluster interface and run in both
// worlds (tester/run.ts decides which). A scenario fails by throwing; it never prints verdicts,
// exits the process or reads the clock: the runner owns timing, seeds, artifacts and output.
import type { Cluster, World } from './cluster.js';
import type { FaultAtlas } from '../src/env/disk-faults.js';
import type { EngineLimits, Lab } from '../src/lab.js';
import type { AppName } from '../src/apps/app.js';

export interface ScenarioContext {
  cluster: Cluster;
  /** The simulator's seed (also given in the real world, for the scenario's own random choices). */
  seed: number;
  /** Deterministic randomness for the workload and the scenario's other own choices (which key, how long to think). */
  random(): number;
  /**
   * Deterministic randomness for the crashes, restarts and partitions the scenario draws (which
   * replica, when: "kill after 1+rand(10) s", the VOPR's nemesis): a stream of its own, so a draw
   * more or less in the workload never moves the fault schedule.
   */
  faults(): number;
  /** A progress line, kept in the failure report. */
  note(message: string): void;
  /** Keep a file with the failure artifacts; written only if the run fails. */
  attach(name: string, content: string): void;
  /** Keep the clients' history (JSONL) as the failure's history.jsonl; its report says how to check it against `model`. */
  attachHistory(jsonl: string, model: AppName): void;
}

export interface Scenario {
  /** Stable test id, e.g. "0" .. "16" for the seed's tests, "loss-backups" for ours. */
  id: string;
  title: string;
  /** Lab the nodes run ('paxos' or 'rsm'). */
  lab: string;
  /** App for the RSM lab. */
  app?: 'kv' | 'lock';
  /** How many nodes the scenario may start (ports/ids are allocated for all of them). */
  nodes: number;
  points: number;
  /**
   * In the simulator, run this many seeds for each seed asked for (consecutive from the first):
   * the VOPR's runs are cheap and it wants many (5: the default 200 seeds give 1,000). Default 1.
   */
  seedFactor?: number;
  /** Simulator only: the sectors of each node that may ever draw a disk fault (src/env/disk-faults.ts; default: any). */
  atlas?: FaultAtlas;
  /** The worlds it runs in (default both): a scenario that needs the simulator's disk or its replicas' memory says ['sim']. */
  worlds?: readonly World[];
  /**
   * Simulator only: the Lab object its nodes run instead of the lab named by `lab` (a variant of
   * it, e.g. Lab 4's rebuild scenarios on a 64-slot ring so the ring wraps within a short run).
   * A Lab object given to the run (a broken variant) still takes precedence.
   */
  simLab?: Lab;
  /** The VSR labs' engine limits its replicas run with, in both worlds (LabOptions.engine: rsmlab node --pipeline-max/--batch-max). */
  engine?: EngineLimits;
  run(ctx: ScenarioContext): Promise<void>;
}

/**
 * Whether `scenario` may run in `world` (its `worlds`; default both): the one rule the runner's
 * guard, the suite's selection and the tests that pick scenarios by world all apply.
 */
export function runsIn(scenario: Pick<Scenario, 'worlds'>, world: World): boolean {
  return scenario.worlds === undefined || scenario.worlds.includes(world);
}

/** Thrown by checks: what was expected, what was seen. */
export class ScenarioFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioFailure';
  }
}
