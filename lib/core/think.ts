import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import { decide, type Decision } from './decide.js';
import { detect, type Detection } from './detect.js';
import type { ServerId } from './model.js';
import { boundState, fitState } from './nextState.js';
import type { Observation } from './observation.js';
import { plan, type Step } from './plan.js';
import { allocateServerId, idInputs, retiredStillNeeded } from './serverIds.js';

// The whole judgement of one tick, as one pure function of (spec, state, observation, now): the
// controller, the CLI's dry run and the simulator all call this, never a copy of it. It is also the
// one place the next state is composed, and held to its bounds (nextState.ts).

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
  // A member an operation just took out is forgotten, counters and all; one a rolled-back
  // replacement left in the config keeps its evidence (detection must not start again from zero).
  const members = new Set(observed.config.readable ? observed.config.config.members.map((m) => m.serverId) : []);
  const finished = state.operation && state.operation.id !== planned.state.operation?.id ? state.operation : undefined;
  const taken = finished?.kind === 'remove' ? finished.serverId : finished?.kind === 'replace' ? finished.replaces : undefined;
  const gone = taken !== undefined && !members.has(taken) ? taken : undefined;
  // An operator's `forget` drops what the state remembers of a server that is gone for good (never
  // a member, nor the subject of the operation in flight).
  const op = planned.state.operation;
  // Without a readable config nobody can tell a member from a gone server: nothing is forgotten.
  const forgettable = observed.config.readable ? observed.requests.forget : [];
  const forgotten = new Set(forgettable.filter((id) => !members.has(id) && op?.serverId !== id && !(op?.kind === 'replace' && op.replaces === id)));
  const kept = (id: ServerId): boolean => id !== gone && !forgotten.has(id);
  const next: ControllerState = {
    ...planned.state,
    health: detection.health.filter((h) => kept(h.serverId)),
    leader: detection.leader,
    reports: detection.pendingReports.filter((r) => kept(r.serverId)),
    replaceRequests: pendingReplaceRequests(state, observed, planned.state).filter(kept),
    // Without a readable config nothing proves a retired id's record is no longer needed.
    retiredIds: observed.config.readable ? retiredStillNeeded(planned.state.retiredIds, idInputs(observed, observed.config.config, planned.state, now)) : planned.state.retiredIds,
  };
  if (decision.scaleInHold) next.scaleInHold = decision.scaleInHold;
  else delete next.scaleInHold;
  return { detection, decision, step: planned.step, state: fitState(boundState(next, members)) };
}

/** Whether this tick's judgement needs the leader's session list: a retired server id may be
 * reused once it is read. Never on a steady tick (only a launch allocates an id). */
export function wantsLeaderSessions(spec: ClusterSpec, state: ControllerState, observed: Observation, now: number): boolean {
  if (observed.sessions !== undefined || !observed.config.readable) return false;
  const { step, state: next } = think(spec, state, observed, now);
  if (step.kind === 'wait') return step.blockedBy === 'leader-sessions-unread';
  // A new server got an id that needed no sessions: would a lower one have done, with them?
  const launching = step.kind === 'launch' && next.operation?.startedAt === now && next.operation.serverId === step.serverId;
  if (!launching) return false;
  const { operation: _replaced, ...before } = state;
  const allocation = allocateServerId(idInputs(observed, observed.config.config, before, now));
  return allocation.sessionsWanted;
}

/** Replace requests wait in the state until a replacement of that member starts (or it is gone). */
function pendingReplaceRequests(before: ControllerState, observed: Observation, after: ControllerState): ServerId[] {
  const members = observed.config.readable ? new Set(observed.config.config.members.map((m) => m.serverId)) : undefined;
  const started = after.operation?.kind === 'replace' ? after.operation.replaces : after.operation?.kind === 'remove' ? after.operation.serverId : undefined;
  return [...new Set([...before.replaceRequests, ...observed.requests.replace])].filter((id) => id !== started && (members === undefined || members.has(id)));
}
