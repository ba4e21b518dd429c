import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import { think, type Observation, type Step } from '../core/index.js';

// Replays recorded ticks (what a real controller observed) through the same core the controller
// and the simulator run: the same inputs must give the same decisions, tick for tick.

export interface RecordedTick {
  readonly now: number;
  readonly spec: ClusterSpec;
  readonly state: ControllerState;
  readonly observation: Observation;
  readonly step: Step;
}

export interface ReplayDifference {
  readonly tick: number;
  readonly recorded: Step;
  readonly replayed: Step;
}

export function replay(records: readonly RecordedTick[]): ReplayDifference[] {
  return records.flatMap((r, tick) => {
    const replayed = think(r.spec, r.state, r.observation, r.now).step;
    return sameStep(r.step, replayed) ? [] : [{ tick, recorded: r.step, replayed }];
  });
}

function sameStep(a: Step, b: Step): boolean {
  const text = (s: Step): string => JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v));
  return text(a) === text(b);
}
