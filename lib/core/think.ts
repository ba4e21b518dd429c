import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import { decide, type Decision } from './decide.js';
import { detect, type Detection } from './detect.js';
import type { Observation } from './observation.js';
import { plan, type Step } from './plan.js';

// The whole judgement of one tick, as one pure function of (spec, state, observation, now): the
// controller, the CLI's dry run and the simulator all call this, never a copy of it.

export interface Thought {
  readonly detection: Detection;
  readonly decision: Decision;
  readonly step: Step;
  /** The state to persist before acting. Equal (deeply) to the input when nothing changed. */
  readonly state: ControllerState;
}

export function think(spec: ClusterSpec, state: ControllerState, observed: Observation, now: number): Thought {
  const detection = detect(spec, state, observed, now);
  const decision = decide(spec, state, observed, detection, now);
  const planned = plan(spec, state, observed, detection, decision, now);
  // A member an operation just took out is forgotten, counters and all.
  const finished = state.operation && state.operation.id !== planned.state.operation?.id ? state.operation : undefined;
  const gone = finished?.kind === 'remove' ? finished.serverId : finished?.kind === 'replace' ? finished.replaces : undefined;
  const next: ControllerState = {
    ...planned.state,
    health: detection.health.filter((h) => h.serverId !== gone),
    leader: detection.leader,
    reports: detection.pendingReports,
  };
  if (decision.scaleInHold) next.scaleInHold = decision.scaleInHold;
  else delete next.scaleInHold;
  return { detection, decision, step: planned.step, state: next };
}
