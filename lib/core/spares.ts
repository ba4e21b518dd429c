import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import type { Detection } from './detect.js';
import type { ServerId } from './model.js';
import { liveInstance, type Observation } from './observation.js';

// Hot spares (spec `hotSpares`): servers synced as non-voting followers that the config does not
// name, kept so that a failed voter costs one reconfig instead of a launch, a boot and a sync. The
// state lists them; what each one is now is judged again every tick from what is observed: one the
// config names was swapped in; one whose instance is going or gone, or that detection failed, is a
// spare no longer (it becomes a stray and is stopped, and another is launched).

export interface SpareJudgement {
  /** The spares kept, in the state's order. */
  readonly kept: readonly ServerId[];
  /** Spares dropped because the fleet lists no instance of theirs: EC2 may list a running one late,
   * so their ids are held like a rolled-back joiner's. */
  readonly unlisted: readonly ServerId[];
  /** Why each spare that is no longer one went, for the decision sentence. */
  readonly dropped: readonly string[];
}

export function judgeSpares(spec: ClusterSpec, state: ControllerState, observed: Observation, detection: Detection): SpareJudgement {
  // Without a readable config nobody can tell a spare from a member: nothing changes.
  if (!observed.config.readable) return { kept: state.spares, unlisted: [], dropped: [] };
  const members = new Set(observed.config.config.members.map((m) => m.serverId));
  const noticed = new Set([...state.replaceRequests, ...observed.requests.replace]);
  const kept: ServerId[] = [];
  const unlisted: ServerId[] = [];
  const dropped: string[] = [];
  for (const id of state.spares) {
    if (members.has(id)) continue; // swapped in
    const instance = liveInstance(observed.instances, id);
    const verdict = detection.verdicts.get(id);
    if (!instance) unlisted.push(id);
    if (!instance || (instance.state !== 'pending' && instance.state !== 'running')) dropped.push(`spare ${id} is gone (${instance ? `instance ${instance.instanceId} ${instance.state}` : 'no instance listed'})`);
    else if (verdict?.status === 'failed') dropped.push(`spare ${id} failed: ${verdict.evidence}`);
    // A spare EC2 gave notice on (or an operator asked to replace) would be lost when it is needed.
    else if (noticed.has(id)) dropped.push(`spare ${id} is to be replaced: ${observed.requests.notices?.[id]?.reason ?? 'requested'}`);
    else if (kept.length >= spec.hotSpares) dropped.push(`spare ${id} is one more than the spec's ${spec.hotSpares}`);
    else kept.push(id);
  }
  return { kept, unlisted, dropped };
}
