// A simulated run watched live: the scenario runs in the simulator under a SimPlayer (play, pause,
// step, speed), its world feeds the dashboard, and faults from the page go into the run through its
// fault-and-control interface, so the world records them as fault decisions like its own. It owns the run's lifetime (stop ends it); what happens is the seed's.
import { rmSync } from 'node:fs';
import { findScenario } from '../../tester/index.js';
import { runScenario, type ScenarioResult } from '../../tester/run.js';
import type { SimCluster } from '../../tester/sim-cluster.js';
import { LiveFeed } from './live.js';
import { DashboardServer } from './server.js';
import { SimLiveSource } from './sim-source.js';
import { SimPlayer } from './sim-player.js';

export interface SimRunOptions {
  lab: string;
  test: string;
  seed: number;
  port: number;
  host?: string;
  token?: string;
  /** Start paused (default: playing). */
  paused?: boolean;
  /** Where a failing run leaves its artifacts (default ./failures). */
  artifactsDir?: string;
}

export interface SimRun {
  server: DashboardServer;
  player: SimPlayer;
  /** Settles when the scenario has finished (or was stopped). */
  result: Promise<ScenarioResult>;
  /** The run's cluster, once made: its world records every fault decision, those from the page included. */
  cluster(): SimCluster | undefined;
  /** Stop the run and the dashboard. */
  close(): Promise<void>;
}

export async function startSimRun(o: SimRunOptions): Promise<SimRun> {
  const scenario = await findScenario(o.lab, o.test);
  const nodes = Array.from({ length: scenario.nodes }, (_, i) => `p${i}`);
  let now = (): number => 0;
  let stopping = false;
  let made: SimCluster | undefined;
  // Paused until the page can show it; the run's cluster exists before the first tick reads it.
  const player = new SimPlayer(() => now(), { playing: false });
  const source = new SimLiveSource(`${o.lab} ${scenario.id} (${scenario.title}), seed ${o.seed}, simulated`, nodes, () => player.state());
  const result = runScenario(scenario, {
    world: 'sim',
    seed: o.seed,
    ...(o.artifactsDir !== undefined && { artifactsDir: o.artifactsDir }),
    watch: {
      pacer: player,
      cluster: (cluster) => {
        made = cluster;
        source.attach(cluster);
        now = () => cluster.sim.now;
      },
    },
  }).then((r) => {
    // A run stopped from the dashboard did not fail: it leaves no failures/ folder behind.
    if (stopping && r.artifacts !== undefined) rmSync(r.artifacts, { recursive: true, force: true });
    player.done = stopping ? 'stopped' : r.ok ? 'PASS' : `FAIL: ${(r.error ?? '').split('\n')[0]}`;
    source.over = player.done;
    return r;
  });
  const stop = async (): Promise<void> => {
    stopping = player.done === null;
    player.stop();
    await result;
  };
  let server: DashboardServer;
  try {
    server = await DashboardServer.start({
      mode: 'sim',
      port: o.port,
      ...(o.host !== undefined && { host: o.host }),
      ...(o.token !== undefined && { token: o.token }),
      feed: new LiveFeed(source),
      player: (body) => player.handle(body),
    });
  } catch (e) {
    await stop();
    throw e;
  }
  if (o.paused !== true) await player.handle({ action: 'play' });
  return {
    server,
    player,
    result,
    cluster: () => made,
    close: async () => {
      await stop();
      await server.close();
    },
  };
}
