import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState, Operation, OperationStep } from '../config/state.js';
import { memberAt } from './bootstrap.js';
import { sparesWhy, type Decision, type Replacement } from './decide.js';
import type { Detection, Verdict } from './detect.js';
import type { MembershipChange } from './membershipChange.js';
import { describeChange } from './membershipChange.js';
import { MAX_COUNT, MAX_ZONES_AVOIDED, TEXT_BYTES } from './limits.js';
import { clipText } from './text.js';
import { placementCandidates, type PlacementInput } from './placement.js';
import type { ConfigMember, EnsembleConfig, LaunchRole, Role, ServerId } from './model.js';
import { liveInstance, type Instance, type Observation } from './observation.js';
import { hasQuorum, leaderOf, syncedIds, voterIds } from './quorum.js';
import { reconfigSafety } from './quorumSafety.js';
import { seededRng, seedOf } from './rng.js';
import { allocateServerId, idInputs, retire } from './serverIds.js';
import { STRATEGIES, type Candidate } from './strategies/index.js';
import { membersBlockingReconfig } from './version.js';

// The next single safe step, from what is desired and what is observed. Multi-step operations
// (add, replace, remove) live in the state; their step is re-derived from observation every tick,
// so a tick that died anywhere is resumed by the next one.

export type WaitReason =
  | 'config-unreadable'
  | 'no-quorum'
  | 'paused'
  | 'unsafe-version'
  | 'joiner-starting'
  | 'joiner-syncing'
  | 'quorum-not-synced'
  | 'server-ids-exhausted'
  /** A retired id may be reusable once the leader's session list is read: the controller reads it
   * and thinks again in the same tick (observe.ts); only a caller that cannot read it sees this. */
  | 'leader-sessions-unread'
  | 'launch-backoff'
  | 'launch-failing';

export type Step =
  | { readonly kind: 'launch'; readonly serverId: ServerId; readonly role: LaunchRole; readonly zone: string; readonly operationId: string; readonly why: string }
  | { readonly kind: 'reconfig'; readonly change: MembershipChange; readonly why: string }
  /** The executor confirms a write through the quorum before it stops the server; for a joiner
   * that failed to join, it first keeps its boot log as evidence. */
  | { readonly kind: 'terminate'; readonly serverId: ServerId; readonly why: string; readonly bootLog?: boolean }
  | { readonly kind: 'wait'; readonly blockedBy: WaitReason; readonly why: string }
  | { readonly kind: 'none'; readonly why: string };

export interface Plan {
  readonly step: Step;
  /** The state to persist BEFORE acting (write-ahead), so a crash mid-step is resumed. */
  readonly state: ControllerState;
}

interface Context {
  readonly spec: ClusterSpec;
  readonly observed: Observation;
  readonly detection: Detection;
  readonly decision: Decision;
  readonly now: number;
  readonly config: EnsembleConfig;
  readonly synced: ReadonlySet<ServerId>;
  readonly leader: ServerId | undefined;
}

export function plan(spec: ClusterSpec, state: ControllerState, observed: Observation, detection: Detection, decision: Decision, now: number): Plan {
  const wait = (blockedBy: WaitReason, why: string): Plan => ({ step: { kind: 'wait', blockedBy, why }, state });
  if (!observed.config.readable) return wait('config-unreadable', `config unreadable (${observed.config.reason}): nothing changes until it reads`);
  const config = observed.config.config;
  const synced = syncedIds(observed.probes);
  const voters = voterIds(config.members);
  if (!hasQuorum(voters, synced)) {
    const up = [...voters].filter((id) => synced.has(id)).length;
    return wait('no-quorum', `no quorum: ${up} of ${voters.size} voters serving; nothing changes (recovery is an operator action)`);
  }
  if (spec.paused) return wait('paused', 'paused by the operator: observing only');
  const ctx: Context = { spec, observed, detection, decision, now, config, synced, leader: leaderOf(observed.probes) };
  const kept = decision.spares.kept;
  const unlisted = decision.spares.unlisted.reduce((records, id) => retire(records, id, now, undefined), state.retiredIds);
  const current = kept.length === state.spares.length && kept.every((id, i) => state.spares[i] === id) ? state : { ...state, spares: [...kept], retiredIds: unlisted };
  if (current.operation) {
    const swap = swapInSpare(ctx, current);
    if (swap) return swap;
    const advanced = advance(ctx, current, current.operation);
    if (advanced) return advanced;
    return next(ctx, withoutOperation(ctx, current)); // the operation completed: what comes next
  }
  return next(ctx, current);
}

/**
 * A failed voter (or one an operator or an EC2 notice asked to replace) healed by ONE reconfig that
 * swaps a synced hot spare in for it, when that reconfig is safe now. A launch or a sync in flight
 * (no reconfig sent yet) is given up for it: the quorum comes first, and the server it launched is
 * stopped as a stray (a spare that synced meanwhile is kept). The rest is the replace operation's:
 * the swapped-out server is stopped once a write has gone through the new config. A spare that
 * answers but is not synced (it follows a new leader after the old one died) is waited for rather
 * than launching a server it would make useless; detection fails it if it never syncs.
 */
function swapInSpare(ctx: Context, state: ControllerState): Plan | undefined {
  const { decision } = ctx;
  const r = decision.replacements.find((x) => x.role === 'voter' && (x.reason === 'failed' || x.reason === 'requested'));
  if (!r || decision.voters.desired < decision.voters.current) return undefined; // scale-in removes it instead
  const inFlight = state.operation;
  if (inFlight && (inFlight.kind === 'remove' || (inFlight.step !== 'launching' && inFlight.step !== 'syncing'))) return undefined;
  const spare = spareFor(ctx, state.spares, r.serverId);
  if (!spare) {
    const resyncing = state.spares.find((id) => ctx.observed.probes.some((p) => p.serverId === id && p.result.status === 'not-serving'));
    if (resyncing === undefined) return undefined;
    return { step: { kind: 'wait', blockedBy: 'joiner-syncing', why: `${r.why}: hot spare ${resyncing} answers but is not synced yet; the swap waits for it` }, state };
  }
  const given = inFlight ? `; the ${inFlight.kind} of server ${inFlight.serverId} is given up for it` : '';
  const operation: Operation = {
    kind: 'replace',
    id: operationId('swap', spare.serverId, ctx.now),
    serverId: spare.serverId,
    replaces: r.serverId,
    role: 'voter',
    zone: spare.zone,
    startedAt: ctx.now,
    step: 'reconfiguring',
    stepSince: ctx.now,
    why: `${r.why}: swap in hot spare ${spare.serverId} (${spare.zone})${given}`,
  };
  const syncedSpare = inFlight?.kind === 'spare' && ctx.synced.has(inFlight.serverId) ? [inFlight.serverId] : [];
  const spares = [...state.spares.filter((id) => id !== spare.serverId), ...syncedSpare];
  // A launch given up before its server was seen synced served nobody, but EC2 may list its
  // instance late: its id is held like a rolled-back joiner's, never handed out twice.
  const givenUp = inFlight && !ctx.synced.has(inFlight.serverId) ? inFlight.serverId : undefined;
  const retiredIds = givenUp === undefined ? state.retiredIds : retire(state.retiredIds, givenUp, ctx.now, undefined);
  const swapped = advance(ctx, { ...state, operation, spares, retiredIds }, operation);
  return swapped?.step.kind === 'reconfig' ? swapped : undefined;
}

/** The synced spare to swap in for `leaving`: one in its zone first (spread survives the heal), else
 * one in the zone with the fewest staying voters; the lowest id breaks a tie. */
function spareFor(ctx: Context, spares: readonly ServerId[], leaving: ServerId): Instance | undefined {
  const ready = spares.flatMap((id) => {
    const instance = liveInstance(ctx.observed.instances, id);
    return instance?.state === 'running' && ctx.synced.has(id) ? [instance] : [];
  });
  const zone = zoneOf(ctx, leaving);
  const voters = staying(ctx, 'voter', leaving);
  const votersIn = (z: string): number => voters.filter((m) => m.zone === z).length;
  return [...ready].sort((a, b) => Number(b.zone === zone) - Number(a.zone === zone) || votersIn(a.zone) - votersIn(b.zone) || a.serverId - b.serverId)[0];
}

/** No operation in flight: clean up strays, else start the most urgent operation, else rest. */
function next(ctx: Context, state: ControllerState): Plan {
  const swap = swapInSpare(ctx, state);
  if (swap) return swap;
  const stray = ctx.observed.instances.find((i) => exists(i) && !memberOf(ctx.config, i.serverId) && !state.spares.includes(i.serverId));
  if (stray) {
    // Nothing says when it served: whatever was recorded of its id before, it is judged as one that did.
    const retiredIds = state.retiredIds.filter((r) => r.serverId !== stray.serverId);
    return { step: { kind: 'terminate', serverId: stray.serverId, why: `server ${stray.serverId} (${stray.instanceId}) runs outside the config: stop it` }, state: { ...state, retiredIds } };
  }
  // Every operation ends in a reconfig: none starts while a member runs a ZooKeeper that may not take one.
  const blocking = unsafeVersions(ctx, ctx.config.members.map((m) => m.serverId));
  if (blocking) return { step: { kind: 'wait', blockedBy: 'unsafe-version', why: blocking }, state };
  const { decision } = ctx;
  const replacement = decision.replacements[0];
  if (replacement) return replace(ctx, state, replacement);
  if (decision.voters.desired > decision.voters.current) return add(ctx, state, 'voter', decision.voters.why);
  if (decision.voters.desired < decision.voters.current) return remove(ctx, state, 'voter', decision.voters.why);
  if (decision.observers.desired > decision.observers.current) return add(ctx, state, 'observer', decision.observers.why);
  if (decision.observers.desired < decision.observers.current) return remove(ctx, state, 'observer', decision.observers.why);
  // Spares beyond the spec's count were dropped by judgeSpares and are stopped as strays above.
  // Counted in the state: a spare may have synced during this tick (withoutOperation).
  const sparesNow = sparesWhy(state.spares.length, decision.spares.desired, decision.spares.dropped);
  if (decision.spares.desired > state.spares.length) return addSpare(ctx, state, sparesNow);
  const spares = decision.spares.desired > 0 ? `; ${sparesNow}` : '';
  return { step: { kind: 'none', why: `steady: ${decision.voters.why}; ${decision.observers.why}${spares}` }, state };
}

function replace(ctx: Context, state: ControllerState, r: Replacement): Plan {
  const size = r.role === 'voter' ? ctx.decision.voters : ctx.decision.observers;
  // A failed member that scale-in would take anyway is removed, not replaced.
  if (size.desired < size.current) return startRemove(ctx, state, r.serverId, `${r.why}; ${size.why}, so it is removed, not replaced`);
  // EC2 gave its address to a server that joined since: no new server can boot from a config that
  // lists one address twice, so it goes first (a plain removal), and a new server comes after.
  const twin = addressTwin(ctx.config, r.serverId);
  if (twin) return startRemove(ctx, state, r.serverId, `${r.why}; its address ${twin.host} is server ${twin.serverId}'s now (EC2 reused it): removed first`);
  const held = launchHeld(ctx, state, r.why);
  if (held) return held;
  const allocated = serverIdFor(ctx, state, r.why);
  if (typeof allocated !== 'number') return allocated;
  const id = allocated;
  const { zone, cursor, note } = placeZone(ctx, state, r.role, staying(ctx, r.role, r.serverId));
  const operation: Operation = { kind: 'replace', id: operationId('replace', id, ctx.now), serverId: id, replaces: r.serverId, role: r.role, zone, startedAt: ctx.now, step: 'launching', stepSince: ctx.now, why: r.why };
  return launch(started(ctx, state, operation, cursor), operation, `${r.why}: launch server ${id} in ${zone}${note} to swap in`);
}

function add(ctx: Context, state: ControllerState, role: Role, why: string): Plan {
  const held = launchHeld(ctx, state, why);
  if (held) return held;
  const allocated = serverIdFor(ctx, state, why);
  if (typeof allocated !== 'number') return allocated;
  const id = allocated;
  const { zone, cursor, note } = placeZone(ctx, state, role, staying(ctx, role));
  const operation: Operation = { kind: 'add', id: operationId('add', id, ctx.now), serverId: id, role, zone, startedAt: ctx.now, step: 'launching', stepSince: ctx.now, why };
  return launch(started(ctx, state, operation, cursor), operation, `${why}: launch server ${id} in ${zone}${note} as a ${role}-to-be`);
}

/** A hot spare launched; it is one once synced (advance). Spares spread over the zones: each zone's
 * spare serves that zone's loss first. */
function addSpare(ctx: Context, state: ControllerState, why: string): Plan {
  const held = launchHeld(ctx, state, why);
  if (held) return held;
  const allocated = serverIdFor(ctx, state, why);
  if (typeof allocated !== 'number') return allocated;
  const id = allocated;
  const placed = state.spares.map((serverId) => ({ serverId, zone: zoneOf(ctx, serverId) }));
  const { zone, cursor, note } = placeZone(ctx, state, 'spare', placed);
  const operation: Operation = { kind: 'spare', id: operationId('spare', id, ctx.now), serverId: id, zone, startedAt: ctx.now, step: 'launching', stepSince: ctx.now, why };
  return launch(started(ctx, state, operation, cursor), operation, `${why}: launch server ${id} in ${zone}${note} as a hot spare`);
}

function remove(ctx: Context, state: ControllerState, role: Role, why: string): Plan {
  const candidates = ctx.config.members.filter((m) => m.role === role);
  const { chosen, cursor, reason } = pickRemoval(ctx, state, candidates);
  return startRemove(ctx, { ...state, roundRobinCursor: cursor }, chosen, `${why}: remove ${role} ${chosen} (${reason})`);
}

function startRemove(ctx: Context, state: ControllerState, serverId: ServerId, why: string): Plan {
  const operation: Operation = { kind: 'remove', id: operationId('remove', serverId, ctx.now), serverId, startedAt: ctx.now, step: 'reconfiguring', stepSince: ctx.now, why };
  const advanced = advance(ctx, { ...state, operation }, operation);
  return advanced ?? { step: { kind: 'none', why }, state };
}

/** The next step of the operation in flight, or undefined when it has completed. */
function advance(ctx: Context, state: ControllerState, op: Operation): Plan | undefined {
  const { config, synced } = ctx;
  const timeoutMs = ctx.spec.operationTimeoutSeconds * 1000;
  const at = (step: OperationStep): ControllerState => (op.step === step ? state : { ...state, operation: { ...op, step, stepSince: ctx.now } });
  const stuck = (step: OperationStep): boolean => op.step === step && ctx.now - op.stepSince > timeoutMs;
  const instance = ctx.observed.instances.find((i) => i.serverId === op.serverId && exists(i));
  const joinerAlive = instance !== undefined && (instance.state === 'pending' || instance.state === 'running');
  const member = memberOf(config, op.serverId);

  if (op.kind === 'remove') {
    if (member) {
      if (stuck('reconfiguring')) {
        const why = `gave up removing server ${op.serverId}: no safe reconfig for ${ctx.spec.operationTimeoutSeconds} s`;
        return { step: { kind: 'wait', blockedBy: 'quorum-not-synced', why }, state: withoutOperation(ctx, state) };
      }
      return reconfigure(ctx, at('reconfiguring'), { kind: 'incremental', add: [], remove: [op.serverId], fromVersion: config.version }, op.why);
    }
    if (instance) {
      const why = op.joinFailed ? `${op.why}: stop it` : `${op.why}: its removal committed; stop it`;
      return { step: { kind: 'terminate', serverId: op.serverId, why, ...(op.joinFailed ? { bootLog: true } : {}) }, state: at('terminating') };
    }
    return undefined;
  }

  const replaced = op.kind === 'replace' ? memberOf(config, op.replaces) : undefined;
  if (member) {
    if (op.kind === 'replace' && replaced) {
      return reconfigure(ctx, at('reconfiguring'), { kind: 'incremental', add: [], remove: [op.replaces], fromVersion: config.version }, `${op.why}: server ${op.serverId} is in; take ${op.replaces} out`);
    }
    if (op.kind === 'replace') {
      const old = ctx.observed.instances.find((i) => i.serverId === op.replaces && exists(i));
      if (old) return { step: { kind: 'terminate', serverId: op.replaces, why: `${op.why}: swapped out; stop it` }, state: at('terminating') };
    }
    return undefined;
  }

  // The joiner is not in the config yet. No instance: the launch has not gone through (no capacity
  // anywhere, an API error) or EC2 does not list it yet; retried until the timeout. An instance that
  // died before it joined is given up at once (launching it again would only return it).
  if (!instance) {
    const terminated = ctx.observed.instances.some((i) => i.serverId === op.serverId && i.state === 'terminated');
    if (terminated) return abandon(ctx, state, op, 'its instance is terminated before it was added', { zone: true, failed: 'launch' });
    if (op.step === 'launching' && !stuck('launching')) return launch(state, op, `${op.why}: launch server ${op.serverId} in ${op.zone}`);
    return abandon(ctx, state, op, op.step === 'launching' ? 'it did not start in time' : 'its instance is gone before it was added', { zone: true, failed: 'launch' });
  }
  if (!joinerAlive) return abandon(ctx, state, op, `its instance is ${instance.state} before it was added`, { zone: true, failed: 'launch' });
  // The fleet lists the joiner in another zone than asked (EC2's capacity fallback): follow it.
  if (instance.zone !== op.zone) return advance(ctx, launchLanded(state, op.serverId, instance.zone, ctx.now, ctx.spec.launchTemplate?.version ?? ''), { ...op, zone: instance.zone });
  const joiner = ctx.observed.probes.find((p) => p.serverId === op.serverId);
  // A joiner whose ZooKeeper may not take a reconfig can never be added: give it up at once.
  const badVersion = unsafeVersions(ctx, [op.serverId]);
  if (badVersion) return abandon(ctx, state, op, badVersion, { failed: 'join' });
  if (!synced.has(op.serverId)) {
    if (stuck('syncing')) return abandon(ctx, state, op, `it did not sync within ${ctx.spec.operationTimeoutSeconds} s`, { zone: true, failed: 'join' });
    const status = joiner ? joiner.result.status : 'not probed';
    const reason = op.step === 'launching' ? 'joiner-starting' : 'joiner-syncing';
    return { step: { kind: 'wait', blockedBy: reason, why: `${op.why}: server ${op.serverId} is not synced yet (${status})` }, state: at('syncing') };
  }
  if (op.kind === 'spare') return undefined; // synced: a spare now (withoutOperation)
  // EC2 reuses the private address of a terminated instance: one still in the config (a dead member
  // not yet replaced) would share it with the joiner, and ZooKeeper accepts the clash. The member
  // this joiner replaces leaves in the same reconfig: its address may be taken.
  const twin = ctx.config.members.find((m) => m.serverId !== op.serverId && m.host === instance.host && !(op.kind === 'replace' && m.serverId === op.replaces));
  if (twin) return abandon(ctx, state, op, `its address ${instance.host} is member ${twin.serverId}'s (EC2 reused it)`);
  const line = memberAt(ctx.spec.zookeeper, op.serverId, instance.host, op.role);
  const remove = op.kind === 'replace' && replaced ? [op.replaces] : [];
  if (stuck('reconfiguring')) return abandon(ctx, state, op, `no safe reconfig for ${ctx.spec.operationTimeoutSeconds} s`);
  return reconfigure(ctx, at('reconfiguring'), { kind: 'incremental', add: [line], remove, fromVersion: config.version }, op.why);
}

function reconfigure(ctx: Context, state: ControllerState, change: MembershipChange, why: string): Plan {
  const involved = [...ctx.config.members.map((m) => m.serverId), ...(change.kind === 'incremental' ? change.add.map((m) => m.serverId) : [])];
  const blocking = unsafeVersions(ctx, involved);
  if (blocking) return { step: { kind: 'wait', blockedBy: 'unsafe-version', why: `${why}: ${describeChange(change)} waits: ${blocking}` }, state };
  const safety = reconfigSafety(ctx.config, change, ctx.synced);
  if (!safety.safe) return { step: { kind: 'wait', blockedBy: 'quorum-not-synced', why: `${why}: ${describeChange(change)} waits: ${safety.why}` }, state };
  return { step: { kind: 'reconfig', change, why: `${why}: ${describeChange(change)}; ${safety.why}` }, state };
}

function launch(state: ControllerState, op: Exclude<Operation, { kind: 'remove' }>, why: string): Plan {
  return { step: { kind: 'launch', serverId: op.serverId, role: op.kind === 'spare' ? 'spare' : op.role, zone: op.zone, operationId: op.id, why }, state };
}

/** An operation that cannot finish gives its joiner up: it becomes the removal of that joiner. A
 * joiner that did not start or sync may say more about its zone (an outage, no capacity) than about
 * itself, so the next servers go elsewhere for a while. A launch that failed makes the next one back
 * off; one whose server ran and never joined (`join`) counts against the launch template, and after
 * three of those launches stop (launchHeld). */
function abandon(ctx: Context, state: ControllerState, op: Exclude<Operation, { kind: 'remove' }>, reason: string, fault: { zone?: boolean; failed?: 'launch' | 'join' } = {}): Plan {
  const joinFailed = fault.failed === 'join';
  const launchFailed = fault.failed !== undefined;
  const removal: Operation = {
    kind: 'remove',
    id: operationId('remove', op.serverId, ctx.now),
    serverId: op.serverId,
    startedAt: ctx.now,
    step: 'terminating',
    stepSince: ctx.now,
    why: `rolled back ${op.kind} of server ${op.serverId}: ${reason}`,
    ...(launchFailed ? { joinFailed: true as const } : {}),
  };
  const avoided = fault.zone ? avoiding(state, op.zone, `server ${op.serverId}: ${reason}`, ctx.now) : state.zonesAvoided;
  const template = ctx.spec.launchTemplate?.version ?? '';
  const before = state.launchFailures?.template === template ? state.launchFailures : undefined;
  const launchFailures = launchFailed
    ? { count: Math.min(MAX_COUNT, (before?.count ?? 0) + 1), faulty: Math.min(MAX_COUNT, (before?.faulty ?? 0) + (joinFailed ? 1 : 0)), lastAt: ctx.now, template }
    : state.launchFailures;
  // A joiner never seen synced served no client (a server serves only once synced): its id comes
  // back as soon as its instance is gone. One seen synced may have, whether or not it was added.
  const neverServed = op.step !== 'reconfiguring' && !memberOf(ctx.config, op.serverId);
  const retiredIds = neverServed ? retire(state.retiredIds, op.serverId, ctx.now, undefined) : state.retiredIds;
  const rolledBack = { ...state, operation: removal, zonesAvoided: avoided, retiredIds, ...(launchFailures ? { launchFailures } : {}) };
  const advanced = advance(ctx, rolledBack, removal);
  return advanced ?? next(ctx, withoutOperation(ctx, rolledBack)); // nothing left to stop
}

/**
 * The state once the operation's instance is known to be in `zone`: EC2 moves a launch to another
 * zone when the one asked for has no capacity. The operation follows it (a retry finds the same
 * instance) and placement skips the full zone for a while. The same state when nothing moved.
 */
export function launchLanded(state: ControllerState, serverId: ServerId, zone: string, now: number, template: string): ControllerState {
  const op = state.operation;
  if (!op || op.kind === 'remove' || op.serverId !== serverId || op.zone === zone) return state;
  // Not a failure (the server launched), but spread repair waits after it (decide): its time is noted.
  const before = state.launchFailures?.template === template ? state.launchFailures : undefined;
  const launchFailures = { count: before?.count ?? 0, faulty: before?.faulty ?? 0, lastAt: now, template };
  return { ...state, operation: { ...op, zone }, launchFailures, zonesAvoided: avoiding(state, op.zone, `no capacity: server ${serverId} went to ${zone}`, now) };
}

/** The avoided zones with `zone` skipped for ZONE_AVOIDED_MS from `now` (the expired ones dropped). */
function avoiding(state: ControllerState, zone: string, why: string, now: number): ControllerState['zonesAvoided'] {
  const entry = { zone, until: now + ZONE_AVOIDED_MS, why: clipText(why, TEXT_BYTES.zoneWhy) };
  return [...state.zonesAvoided.filter((z) => z.until > now && z.zone !== zone), entry].slice(-MAX_ZONES_AVOIDED);
}

function started(ctx: Context, state: ControllerState, op: Exclude<Operation, { kind: 'remove' }>, cursor: number): ControllerState {
  return {
    ...state,
    operation: op,
    nextServerId: Math.max(state.nextServerId, op.serverId + 1),
    retiredIds: state.retiredIds.filter((r) => r.serverId !== op.serverId),
    roundRobinCursor: cursor,
    ...(op.kind === 'add' ? { lastScaleOutAt: ctx.now } : {}),
  };
}

/** The state once the operation is over: the members it took out are forgotten and their ids
 * retired (served: they come back only after a write passes the config that no longer has them); a
 * server that joined clears the record of failed launches before it (not a fallback it met itself);
 * a spare that synced is one of the spares. */
function withoutOperation(ctx: Pick<Context, 'config' | 'now' | 'synced'>, state: ControllerState): ControllerState {
  const { operation, ...kept } = state;
  if (!operation) return state;
  const { launchFailures: _cleared, ...rest } = kept;
  // A swap launched nothing (its spare's own launch cleared the record when it synced): a bad
  // launch template must go on counting across swaps.
  const launched = operation.kind !== 'remove' && !isSwap(operation);
  const cleared = launched && (state.launchFailures?.lastAt ?? 0) < operation.startedAt;
  const gone = operation.kind === 'remove' ? operation.serverId : operation.kind === 'replace' ? operation.replaces : undefined;
  const left = gone !== undefined && !memberOf(ctx.config, gone);
  return {
    ...(cleared ? rest : kept),
    health: state.health.filter((h) => h.serverId !== gone),
    retiredIds: left ? retire(state.retiredIds, gone, ctx.now, ctx.config) : state.retiredIds,
    ...(operation.kind === 'remove' ? { lastScaleInAt: operation.startedAt } : {}),
    ...(operation.kind === 'spare' && ctx.synced.has(operation.serverId) && !memberOf(ctx.config, operation.serverId) ? { spares: [...state.spares, operation.serverId] } : {}),
  };
}

/** The id a new server gets (serverIds.ts), or the wait that says what holds every id back. */
function serverIdFor(ctx: Context, state: ControllerState, why: string): ServerId | Plan {
  const allocation = allocateServerId(idInputs(ctx.observed, ctx.config, state, ctx.now));
  if (allocation.kind === 'chosen') return allocation.serverId;
  if (allocation.sessionsWanted && ctx.observed.sessions === undefined) {
    return { step: { kind: 'wait', blockedBy: 'leader-sessions-unread', why: `${why}: a retired server id may be reused once the leader's session list is read` }, state };
  }
  return { step: { kind: 'wait', blockedBy: 'server-ids-exhausted', why: `${why}: but ${allocation.why}` }, state };
}

/** Stable for the operation, and never an earlier operation's: EC2 keeps a ClientToken for at least
 * 24 h after its instance is terminated, and a reused id must not find its predecessor's launch. */
function operationId(kind: Operation['kind'] | 'swap', serverId: ServerId, now: number): string {
  return `${kind}-${serverId}-${now.toString(36)}`;
}

/** A replace that swaps a spare in says so in its id (the state has no room for a field). */
function isSwap(op: Operation): boolean {
  return op.id.startsWith('swap-');
}

/** A zone where a new server did not start or sync is skipped for this long (outages outlast the
 * operation timeout that found them). */
const ZONE_AVOIDED_MS = 30 * 60_000;

/** After a launch failed, the next one waits 1 min, doubling with each failure in a row up to
 * 15 min (a failed voter may be waiting); after 3 servers from one launch template version ran and
 * never joined, launches stop for 6 h (or until the spec names another version): a bad image or
 * security group must not spend an id every few minutes, while a capacity shortage, which is EC2's,
 * only slows them down. */
export const LAUNCH_BACKOFF = { firstMs: 60_000, maxMs: 15 * 60_000, stopAfter: 3, stoppedMs: 6 * 3_600_000 } as const;

function launchHeld(ctx: Context, state: ControllerState, why: string): Plan | undefined {
  const failures = state.launchFailures;
  const template = ctx.spec.launchTemplate?.version ?? '';
  if (!failures || failures.template !== template || failures.count === 0) return undefined;
  const since = ctx.now - failures.lastAt;
  const from = template ? `launch template version ${template}` : 'this launch configuration';
  const minutes = (ms: number): string => `${Math.ceil(ms / 60_000)} min`;
  if (failures.faulty >= LAUNCH_BACKOFF.stopAfter && since < LAUNCH_BACKOFF.stoppedMs) {
    const sentence = `${why}: but ${failures.faulty} new servers in a row from ${from} ran and never joined; launches stopped for another ${minutes(LAUNCH_BACKOFF.stoppedMs - since)} or until the spec names another version`;
    return { step: { kind: 'wait', blockedBy: 'launch-failing', why: sentence }, state };
  }
  const backoff = Math.min(LAUNCH_BACKOFF.firstMs * 2 ** (failures.count - 1), LAUNCH_BACKOFF.maxMs);
  if (since < backoff) {
    const sentence = `${why}: but the last ${failures.count} launch(es) from ${from} failed; next launch in ${minutes(backoff - since)}`;
    return { step: { kind: 'wait', blockedBy: 'launch-backoff', why: sentence }, state };
  }
  return undefined;
}

/** Why the members among `ids` may not take a reconfig (a ZooKeeper older than 3.5.9 / 3.6.2, or one
 * whose version cannot be read), or undefined. */
function unsafeVersions(ctx: Context, ids: readonly ServerId[]): string | undefined {
  const blocking = membersBlockingReconfig(ctx.observed.probes).filter((b) => ids.includes(b.serverId));
  return blocking.length > 0 ? `${blocking.map((b) => `server ${b.serverId} runs ZooKeeper ${b.version}`).join(', ')}: reconfig needs 3.5.9+ / 3.6.2+` : undefined;
}

/** Zone spread (placement.ts: zones not avoided, then the fewest of `placed`, the servers of the
 * new one's kind that stay), then the placement strategy among the rest. */
function placeZone(ctx: Context, state: ControllerState, role: LaunchRole, placed: PlacementInput['placed']): { zone: string; cursor: number; note: string } {
  if (ctx.spec.zonePolicy === 'pack') return { zone: ctx.spec.zones[0]?.name ?? 'local', cursor: state.roundRobinCursor, note: '' };
  const { kept, note } = placementCandidates({ zones: ctx.spec.zones.map((z) => z.name), role, placed, avoided: state.zonesAvoided, now: ctx.now });
  const candidates: Candidate[] = kept.map((c) => zoneLoad(ctx, c.zone));
  const pick = STRATEGIES[ctx.spec.strategies.placement].pick(candidates, { purpose: 'place', rng: rngFor(ctx, state), cursor: state.roundRobinCursor });
  return { zone: pick.chosen.key, cursor: pick.cursor, note };
}

/** Failed first. Otherwise spread: a member of the zone holding the most members of the role (the
 * leader counted there: it keeps its zone's place), never the leader while another will do, a
 * suspect before a healthy one, then the removal strategy. */
/** The members of `role` that stay (the one being replaced is leaving), with their zones. */
function staying(ctx: Context, role: Role, replacing?: ServerId): PlacementInput['placed'] {
  return ctx.config.members.filter((m) => m.role === role && m.serverId !== replacing).map((m) => ({ serverId: m.serverId, zone: zoneOf(ctx, m.serverId) }));
}

function pickRemoval(ctx: Context, state: ControllerState, members: readonly ConfigMember[]): { chosen: ServerId; cursor: number; reason: string } {
  const verdict = (m: ConfigMember): Verdict | undefined => ctx.detection.verdicts.get(m.serverId);
  const failed = members.filter((m) => verdict(m)?.status === 'failed');
  if (failed.length > 0) {
    const worst = failed.find((m) => m.serverId !== ctx.leader) ?? (failed[0] as ConfigMember);
    return { chosen: worst.serverId, cursor: state.roundRobinCursor, reason: verdict(worst)?.evidence ?? 'not probed' };
  }
  const zoneName = (m: ConfigMember): string => zoneOf(ctx, m.serverId) ?? '?';
  const perZone = new Map<string, number>();
  for (const m of members) perZone.set(zoneName(m), (perZone.get(zoneName(m)) ?? 0) + 1);
  const notLeader = members.filter((m) => m.serverId !== ctx.leader);
  const pool = notLeader.length > 0 ? notLeader : members;
  const most = Math.max(...pool.map((m) => perZone.get(zoneName(m)) ?? 0));
  const crowded = pool.filter((m) => perZone.get(zoneName(m)) === most);
  const suspects = crowded.filter((m) => verdict(m)?.status === 'suspect');
  const finalists = suspects.length > 0 ? suspects : crowded;
  const candidates = finalists.map((m) => serverLoad(ctx, m.serverId));
  const pick = STRATEGIES[ctx.spec.strategies.removal].pick(candidates, { purpose: 'remove', rng: rngFor(ctx, state), cursor: state.roundRobinCursor });
  const chosen = Number(pick.chosen.key);
  const zone = zoneOf(ctx, chosen);
  const spread = most > 1 && zone !== undefined ? `, from zone ${zone} which holds ${most}` : '';
  const suspect = suspects.length > 0 ? `; suspect: ${ctx.detection.verdicts.get(chosen)?.evidence ?? ''}` : '';
  const leaderNote = pool === members && ctx.leader !== undefined ? ', the leader goes last and only it is left' : '';
  return { chosen, cursor: pick.cursor, reason: `${pick.why}${spread}${suspect}${leaderNote}` };
}

function serverLoad(ctx: Pick<Context, 'observed'>, serverId: ServerId): Candidate {
  const probe = ctx.observed.probes.find((p) => p.serverId === serverId);
  const h = probe?.result.status === 'serving' ? probe.result.health : undefined;
  return { key: String(serverId), outstandingRequests: h?.outstandingRequests ?? 0, connections: h?.connections ?? 0, avgLatencyMs: h?.latencyMs.avg ?? 0 };
}

function zoneLoad(ctx: Context, zone: string): Candidate {
  const loads = ctx.config.members.filter((m) => zoneOf(ctx, m.serverId) === zone).map((m) => serverLoad(ctx, m.serverId));
  const sum = (f: (c: Candidate) => number): number => loads.reduce((total, c) => total + f(c), 0);
  return { key: zone, outstandingRequests: sum((c) => c.outstandingRequests), connections: sum((c) => c.connections), avgLatencyMs: loads.length ? sum((c) => c.avgLatencyMs) / loads.length : 0 };
}

function rngFor(ctx: Context, state: ControllerState): () => number {
  return seededRng(seedOf(`${state.cluster}:${state.nextServerId}:${ctx.config.version}`));
}

/** The zone a server's instance is in, as the fleet reports it (EC2's placement, not our request). */
function zoneOf(ctx: Pick<Context, 'observed'>, serverId: ServerId): string | undefined {
  return liveInstance(ctx.observed.instances, serverId)?.zone;
}

/** Another member at `serverId`'s address, if one is there. */
function addressTwin(config: EnsembleConfig, serverId: ServerId): ConfigMember | undefined {
  const host = memberOf(config, serverId)?.host;
  return config.members.find((m) => m.serverId !== serverId && m.host === host);
}

function memberOf(config: EnsembleConfig, serverId: ServerId): ConfigMember | undefined {
  return config.members.find((m) => m.serverId === serverId);
}

/** Not terminated: it may still hold an address, a disk or clients. */
function exists(instance: Instance): boolean {
  return instance.state !== 'terminated';
}
