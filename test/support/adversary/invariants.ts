import type { PutParameterCommandInput } from '@aws-sdk/client-ssm';
import type { ClusterSpec, ControllerState } from '../../../lib/config/index.js';
import { hasQuorum, SPREAD_REPAIR_QUIET_MS, type ServerId } from '../../../lib/core/index.js';
import type { Act, CommitRecord, ModelWorld } from './world.js';
import { ZONES } from './world.js';

// The invariants an adversarial history must keep after every tick. Each is a named function of
// what the tick left behind, returning a sentence when it is broken; truth comes from the model
// world (who is really synced, where an instance really is), never from the controller's view.

/** Ids a history may spend beyond one per injected failure and one per scale-out: a replacement
 * abandoned because a second fault hit its joiner (counted once, for the fault) costs one more id;
 * an alarm-storm report corroborated by a slow joiner's misses, a rollback on timeout while the
 * picture was unclear (throttling, two invocations) and a stray launched by a killed tick whose
 * state write was lost each cost at most one. Ten covers a history's worth of those. */
export const ID_ALLOWANCE = 10;
/** A failed voter must be out of the config after this many ticks AND this long in which it could
 * have been replaced (quorum up, capacity somewhere, the controller not killed or throttled, and
 * no fault on a joiner in the last operation timeout + 2 min, which the controller must wait out):
 * detection (15 s, 3 probes), launch and boot (<= 2 min), sync (<= 40 s) and one swap take about 5
 * ticks at one a minute. */
export const JOINER_FAULT_GRACE_MS = (600 + 120) * 1000;
export const REPLACED_WITHIN = { ticks: 40, ms: 30 * 60_000 };
/** After the faults stop, the cluster reaches the spec's sizes within this many one-minute ticks. */
export const CONVERGED_WITHIN_TICKS = 60;
export const DOCUMENT_MAX_BYTES = 4096;

export interface FailingVoter {
  readonly sinceStep: number;
  readonly since: number;
  eligibleTicks: number;
  eligibleMs: number;
}

/** History-wide bookkeeping the harness keeps for the invariants. */
export interface Ledger {
  readonly initialIds: ReadonlySet<ServerId>;
  failuresInjected: number;
  scaleOuts: number;
  readonly failing: Map<ServerId, FailingVoter>;
  /** Acts done without the valid lease, or inside another invocation's lease, noted when they happen. */
  readonly actorViolations: string[];
  /** Until then a fault on a joiner is still being waited out (its operation's timeout). */
  joinerFaultUntil: number;
  /** Ticks since the faults stopped; undefined while they go on. */
  quietTicks: number | undefined;
  /** Checks in a row that found one zone holding a majority at rest with every zone open (an object:
   * each check gets a copy of the ledger, and this count must outlive it). */
  readonly spread: { crowdedChecks: number; blocked: boolean };
}

export interface Check {
  readonly world: ModelWorld;
  readonly spec: ClusterSpec;
  /** The state as stored in SSM after the tick. */
  readonly state: ControllerState | undefined;
  readonly ledger: Ledger;
  /** What happened during this step only. */
  readonly commits: readonly CommitRecord[];
  readonly acts: readonly Act[];
  readonly puts: readonly PutParameterCommandInput[];
}

export type Invariant = (c: Check) => string | undefined;

export function reconfigKeepsBothQuorums(c: Check): string | undefined {
  for (const r of c.commits) {
    const synced = new Set(r.synced);
    const old = new Set(r.oldVoters);
    const next = new Set(r.newVoters);
    if (!hasQuorum(old, synced) || !hasQuorum(next, synced)) {
      const count = (v: ReadonlySet<ServerId>): string => `${[...v].filter((id) => synced.has(id)).length}/${v.size}`;
      return `reconfig "${r.change}" committed with old voters ${count(old)} and new voters ${count(next)} truly synced (synced: ${[...synced].join(',') || 'none'})`;
    }
  }
  return undefined;
}

export function noZoneMajorityAtRest(c: Check): string | undefined {
  const { world } = c;
  // After a launch failed or EC2 moved one, repair waits SPREAD_REPAIR_QUIET_MS on purpose.
  const repairHeld = c.state?.launchFailures !== undefined && world.now - c.state.launchFailures.lastAt < SPREAD_REPAIR_QUIET_MS;
  const atRest = c.state !== undefined && c.state.operation === undefined && !repairHeld;
  const open = world.zonesDown.size === 0 && world.zonesWithoutCapacity.size === 0 && !c.state?.zonesAvoided.some((z) => z.until > world.now);
  if (!atRest || !open) {
    c.ledger.spread.crowdedChecks = 0;
    return undefined;
  }
  const voters = [...world.voters()];
  const instances = voters.map((id) => world.instanceOf(id));
  // The controller repairs spread (a voter of a zone holding a majority is replaced into an empty
  // zone), so at rest with every zone open and none avoided, no zone may hold a majority.
  if (voters.length < 3 || instances.some((i) => i === undefined)) return undefined;
  const perZone = new Map<string, ServerId[]>(ZONES.map((z) => [z, []]));
  for (const i of instances) if (i) perZone.get(i.zone)?.push(i.serverId);
  const crowded = [...perZone].find(([, ids]) => ids.length > voters.length / 2);
  // The repair starts at the first tick that sees the zones open (and may be throttled): a few ticks'
  // grace. A step whose tick could not act (a killed tick's lease still held, the tick killed) is
  // no chance missed: it does not count (a spare swapped in from another zone makes this common).
  c.ledger.spread.crowdedChecks = !crowded ? 0 : c.ledger.spread.crowdedChecks + (c.ledger.spread.blocked ? 0 : 1);
  if (!crowded || c.ledger.spread.crowdedChecks < SPREAD_REPAIRED_WITHIN_CHECKS) return undefined;
  const [zone, ids] = crowded;
  return `at rest with three zones open for ${c.ledger.spread.crowdedChecks} checks, zone ${zone} holds voters ${ids.join(',')}: ${ids.length} of ${voters.length}, a majority`;
}

/** Checks a one-zone majority may last at rest with every zone open before its repair must have begun. */
export const SPREAD_REPAIRED_WITHIN_CHECKS = 4;

export function oneInstancePerServer(c: Check): string | undefined {
  const running = new Map<ServerId, string[]>();
  for (const i of c.world.instances) {
    if (i.state !== 'running') continue;
    running.set(i.serverId, [...(running.get(i.serverId) ?? []), `${i.instanceId} in ${i.zone} (${i.operationId})`]);
  }
  for (const [id, list] of running) if (list.length > 1) return `server ${id} runs on ${list.length} instances: ${list.join(', ')}`;
  return undefined;
}

export function idsSpentBounded(c: Check): string | undefined {
  const spent = new Set(c.world.instances.map((i) => i.serverId).filter((id) => !c.ledger.initialIds.has(id)));
  // Each spare is launched once up front; a swap uses one up (its failure is counted) and a launch
  // given up for a swap relaunches (counted by the allowance, as another rolled-back joiner).
  const bound = c.ledger.failuresInjected + c.ledger.scaleOuts + c.spec.hotSpares + ID_ALLOWANCE;
  if (spent.size > bound) {
    return `${spent.size} server ids spent (${[...spent].join(',')}) for ${c.ledger.failuresInjected} failures, ${c.ledger.scaleOuts} scale-outs and ${c.spec.hotSpares} hot spares (+${ID_ALLOWANCE} allowed)`;
  }
  return undefined;
}

export function documentsFit(c: Check): string | undefined {
  for (const p of c.puts) {
    const leaf = p.Name?.split('/').at(-1);
    if (leaf !== 'state' && leaf !== 'requests') continue;
    const bytes = Buffer.byteLength(p.Value ?? '', 'utf8');
    if (bytes > DOCUMENT_MAX_BYTES) return `${p.Name} written with ${bytes} bytes, more than SSM's ${DOCUMENT_MAX_BYTES}`;
  }
  return undefined;
}

export function oneActorAtATime(c: Check): string | undefined {
  return c.ledger.actorViolations[0];
}

export function failedVotersReplaced(c: Check): string | undefined {
  for (const [id, f] of c.ledger.failing) {
    if (f.eligibleTicks >= REPLACED_WITHIN.ticks && f.eligibleMs >= REPLACED_WITHIN.ms) {
      return `voter ${id} failed at step ${f.sinceStep} and is still a voter after ${f.eligibleTicks} ticks (${Math.round(f.eligibleMs / 60_000)} min) in which it could have been replaced`;
    }
  }
  return undefined;
}

export function neverWaitsForever(c: Check): string | undefined {
  if (c.ledger.quietTicks === undefined || c.ledger.quietTicks < CONVERGED_WITHIN_TICKS) return undefined;
  const gap = convergenceGap(c.world, c.spec, c.state);
  return gap && `${c.ledger.quietTicks} ticks after the faults stopped: ${gap}`;
}

/** What still differs from the spec's sizes, or undefined when the cluster has reached them. */
export function convergenceGap(world: ModelWorld, spec: ClusterSpec, state: ControllerState | undefined): string | undefined {
  const voters = world.config.members.filter((m) => m.role === 'voter').length;
  const observers = world.config.members.length - voters;
  const synced = world.syncedIds();
  const members = new Set(world.config.members.map((m) => m.serverId));
  const unsynced = [...members].filter((id) => !synced.has(id));
  const spares = new Set(state?.spares ?? []);
  const strays = world.instances.filter((i) => i.state !== 'terminated' && !members.has(i.serverId) && !spares.has(i.serverId)).map((i) => `${i.serverId} (${i.state})`);
  const sparesReady = [...spares].filter((id) => synced.has(id)).length;
  const gaps = [
    voters !== spec.voters.desired ? `${voters} voters, spec wants ${spec.voters.desired}` : undefined,
    observers !== spec.observers.desired ? `${observers} observers, spec wants ${spec.observers.desired}` : undefined,
    unsynced.length > 0 ? `members ${unsynced.join(',')} not synced` : undefined,
    strays.length > 0 ? `instances outside the config: ${strays.join(', ')}` : undefined,
    sparesReady !== spec.hotSpares ? `${sparesReady} synced hot spares, spec wants ${spec.hotSpares}` : undefined,
    state?.operation ? `operation ${state.operation.id} still at ${state.operation.step}` : undefined,
  ].filter((g) => g !== undefined);
  return gaps.length > 0 ? gaps.join('; ') : undefined;
}

export const INVARIANTS = {
  reconfigKeepsBothQuorums,
  noZoneMajorityAtRest,
  oneInstancePerServer,
  idsSpentBounded,
  documentsFit,
  oneActorAtATime,
  failedVotersReplaced,
  neverWaitsForever,
} as const satisfies Record<string, Invariant>;
export type InvariantName = keyof typeof INVARIANTS;
