// The play/pause/step/speed of a simulated run watched live: a Pacer that lets the run's virtual
// time pass in slices (the scheduler asks it at each), each after a wall-clock pause set by the
// speed, or one slice per step while paused. It decides only when; what happens is the seed's
// (and the page's faults).
import { z } from 'zod';
import type { Json } from '../env/types.js';
import type { Pacer } from '../env/sim/scheduler.js';

/** Virtual ms per wall-clock ms, by the speed slider's position. */
export const RATES = [0.1, 0.5, 2, 10, 50] as const;

export const playerRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('play') }),
  z.object({ action: z.literal('pause') }),
  z.object({ action: z.literal('step') }),
  z.object({ action: z.literal('speed'), speed: z.int().min(0).max(RATES.length - 1) }),
]);

export interface PlayerState {
  playing: boolean;
  rate: number;
  /** Virtual time, ms. */
  now: number;
  /** 'PASS' or 'FAIL: …' once the run is over. */
  done: string | null;
  [key: string]: Json;
}

export class SimPlayer implements Pacer {
  readonly sliceMs = 20;
  playing: boolean;
  private speed = 2;
  private waiting: { resume: () => void; stop: (e: Error) => void } | undefined;
  private stopped = false;
  private stepsAllowed = 0;
  done: string | null = null;

  constructor(
    private readonly now: () => number,
    options: { playing: boolean },
  ) {
    this.playing = options.playing;
  }

  get rate(): number {
    return RATES[this.speed]!;
  }

  async gate(ms: number): Promise<void> {
    this.mustGoOn();
    if (this.playing) {
      await new Promise((resolve) => setTimeout(resolve, ms / this.rate));
      this.mustGoOn();
      if (this.playing) return;
    }
    if (this.stepsAllowed > 0) {
      this.stepsAllowed--;
      return;
    }
    await new Promise<void>((resume, stop) => (this.waiting = { resume, stop }));
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resume();
  }

  private mustGoOn(): void {
    if (this.stopped) throw new Error('the run was stopped from the dashboard');
  }

  /** End the run: its next slice is refused, which fails it (it is reported, its cluster closed). */
  stop(): void {
    this.stopped = true;
    this.playing = false;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.stop(new Error('the run was stopped from the dashboard'));
  }

  state(): PlayerState {
    return { playing: this.playing, rate: this.rate, now: this.now(), done: this.done };
  }

  /** A request from the page's player bar (already authorized). */
  async handle(body: unknown): Promise<Json> {
    const r = playerRequestSchema.parse(body);
    if (r.action === 'play') {
      this.playing = true;
      this.release();
    } else if (r.action === 'pause') {
      this.playing = false;
    } else if (r.action === 'step') {
      if (this.waiting) this.release();
      else this.stepsAllowed++;
      await new Promise((resolve) => setTimeout(resolve, 30));
    } else {
      this.speed = r.speed;
    }
    return this.state();
  }
}
