import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import type { Detection } from './detect.js';
import type { Role, ServerId } from './model.js';
import { observersOf, votersOf } from './model.js';
import { liveInstance, type LoadSample, type Observation } from './observation.js';
import { MAX_TIME_MS } from './limits.js';
import { leaderOf } from './quorum.js';
import { activeSchedules } from './schedule.js';
import { judgeSpares } from './spares.js';

// What the ensemble should be, by priority: failure (replace failed voters, then failed observers)
// > config (spec bounds and desired sizes, schedules, rolling replacement of outdated servers) >
// load (target tracking on read load, which sizes observers only: more voters make writes slower).
// Every decision is one sentence with the numbers it used.

export interface SizeDecision {
  readonly current: number;
  readonly desired: number;
  readonly why: string;
}

export type ReplacementReason = 'failed' | 'requested' | 'misplaced' | 'outdated';

export interface Replacement {
  readonly serverId: ServerId;
  readonly role: Role;
  readonly reason: ReplacementReason;
  readonly why: string;
}

export interface SpareDecision extends SizeDecision {
  /** The spares kept (spares.ts), in the state's order, and why the others are no spares now. */
  readonly kept: readonly ServerId[];
  readonly dropped: readonly string[];
  /** Spares dropped with no instance listed (spares.ts): their ids are held. */
  readonly unlisted: readonly ServerId[];
}

export interface Decision {
  readonly voters: SizeDecision;
  readonly observers: SizeDecision;
  /** Hot spares: how many run and how many the spec asks for. */
  readonly spares: SpareDecision;
  /** Members to replace, most urgent first. */
  readonly replacements: readonly Replacement[];
  /** The state's scale-in stabilization hold after this tick. */
  readonly scaleInHold: ControllerState['scaleInHold'];
}

export function decide(spec: ClusterSpec, state: ControllerState, observed: Observation, detection: Detection, now: number): Decision {
  const members = observed.config.readable ? observed.config.config.members : [];
  const currentVoters = votersOf(members).length;
  const currentObservers = observersOf(members).length;
  const schedules = activeSchedules(spec.schedules, now);

  const scheduledVoters = schedules.find((s) => s.voters !== undefined);
  const desiredVoters = scheduledVoters?.voters ?? spec.voters.desired;
  const voters: SizeDecision = {
    current: currentVoters,
    desired: desiredVoters,
    why:
      desiredVoters === currentVoters
        ? `voters stay at ${currentVoters}`
        : `voters ${currentVoters} -> ${desiredVoters}: ${scheduledVoters ? `schedule "${scheduledVoters.name}" asks for ${desiredVoters}` : `spec asks for ${desiredVoters}`} (bounds ${spec.voters.min}..${spec.voters.max})`,
  };

  const floorSchedule = schedules.filter((s) => s.observersMin !== undefined).sort((a, b) => (b.observersMin ?? 0) - (a.observersMin ?? 0))[0];
  const floor = Math.max(spec.observers.min, floorSchedule?.observersMin ?? 0);
  const { observers, scaleInHold } = decideObservers(spec, state, {
    currentVoters,
    currentObservers,
    desiredVoters,
    floor,
    floorWhy: floorSchedule && (floorSchedule.observersMin ?? 0) > spec.observers.min ? `schedule "${floorSchedule.name}" minimum ${floor}` : `minimum ${floor}`,
    load: observed.load,
    now,
  });

  return { voters, observers, spares: decideSpares(spec, state, observed, detection), replacements: replacements(spec, state, observed, detection, now), scaleInHold };
}

function decideSpares(spec: ClusterSpec, state: ControllerState, observed: Observation, detection: Detection): SpareDecision {
  const { kept, unlisted, dropped } = judgeSpares(spec, state, observed, detection);
  return { current: kept.length, desired: spec.hotSpares, kept, unlisted, dropped, why: sparesWhy(kept.length, spec.hotSpares, dropped) };
}

/** The spares' sentence; the planner says it again when a spare synced during the tick. */
export function sparesWhy(current: number, desired: number, dropped: readonly string[] = []): string {
  const gone = dropped.length > 0 ? ` (${dropped.join('; ')})` : '';
  return desired === current ? `hot spares stay at ${current}${gone}` : `hot spares ${current} -> ${desired}: spec asks for ${desired}${gone}`;
}

interface ObserverInputs {
  readonly currentVoters: number;
  readonly currentObservers: number;
  readonly desiredVoters: number;
  readonly floor: number;
  readonly floorWhy: string;
  readonly load: LoadSample | undefined;
  readonly now: number;
}

function decideObservers(spec: ClusterSpec, state: ControllerState, i: ObserverInputs): Pick<Decision, 'observers' | 'scaleInHold'> {
  const max = spec.observers.max;
  const clamp = (n: number): number => Math.min(max, Math.max(i.floor, n));
  const recommendation = i.load ? recommend(spec, i.currentVoters + i.currentObservers, i.load) : undefined;
  const current = i.currentObservers;
  const decision = (desired: number, why: string, scaleInHold: ControllerState['scaleInHold']): Pick<Decision, 'observers' | 'scaleInHold'> => ({
    observers: { current, desired, why: desired === current ? `observers stay at ${current}: ${why}` : `observers ${current} -> ${desired}: ${why}` },
    scaleInHold,
  });

  if (!recommendation) {
    const desired = clamp(spec.observers.desired);
    const why = desired === spec.observers.desired ? `spec asks for ${desired} (bounds ${i.floor}..${max})` : `spec asks for ${spec.observers.desired}, held to ${i.floorWhy}`;
    return decision(desired, why, undefined);
  }
  const wanted = clamp(recommendation.servers - i.desiredVoters);
  const bounded = wanted !== recommendation.servers - i.desiredVoters ? ` (bounded by ${i.floorWhy}, maximum ${max})` : '';
  if (current < i.floor) return decision(i.floor, `below ${i.floorWhy}`, undefined);
  if (current > max) return decision(max, `above the maximum ${max}`, undefined);

  if (wanted > current) {
    const cooldown = spec.load.scaleOutCooldownSeconds * 1000;
    if (state.lastScaleOutAt !== undefined && i.now - state.lastScaleOutAt < cooldown) {
      const left = Math.ceil((cooldown - (i.now - state.lastScaleOutAt)) / 1000);
      return decision(current, `${recommendation.why} wants ${wanted}, but the scale-out cooldown has ${left} s left`, undefined);
    }
    return decision(wanted, `${recommendation.why}${bounded}`, undefined);
  }
  if (wanted < current) {
    const hold = { since: state.scaleInHold?.since ?? i.now, highest: Math.max(state.scaleInHold?.highest ?? wanted, wanted) };
    const window = spec.load.scaleInStabilizationSeconds * 1000;
    if (i.now - hold.since < window) {
      const left = Math.ceil((window - (i.now - hold.since)) / 1000);
      return decision(current, `${recommendation.why} wants ${wanted}; scale-in waits ${left} s more of its ${spec.load.scaleInStabilizationSeconds} s stabilization window (highest ${hold.highest})`, hold);
    }
    const cooldown = spec.load.scaleInCooldownSeconds * 1000;
    if (state.lastScaleInAt !== undefined && i.now - state.lastScaleInAt < cooldown) {
      const left = Math.ceil((cooldown - (i.now - state.lastScaleInAt)) / 1000);
      return decision(current, `${recommendation.why} wants ${wanted}, but the scale-in cooldown has ${left} s left`, hold);
    }
    const target = Math.min(current, hold.highest);
    return decision(target, `${recommendation.why}; the highest recommendation over the ${spec.load.scaleInStabilizationSeconds} s window was ${hold.highest}${bounded}`, undefined);
  }
  return decision(current, recommendation.why, undefined);
}

/** HPA-style: servers wanted = ceil(servers * metric / target) for each tracked metric, the largest
 * wins; within the tolerance band nothing changes. */
function recommend(spec: ClusterSpec, servers: number, load: LoadSample): { servers: number; why: string } | undefined {
  const t = spec.load.targets;
  const tolerance = spec.load.tolerance;
  const metrics: { name: string; unit: string; perServer: number; target: number }[] = [];
  const perServer = (total: number): number => (servers > 0 ? total / servers : total);
  if (t.requestsPerSecond !== undefined) metrics.push({ name: 'req/s per server', unit: '', perServer: perServer(load.requestsPerSecond), target: t.requestsPerSecond });
  if (t.connections !== undefined) metrics.push({ name: 'connections per server', unit: '', perServer: perServer(load.connections), target: t.connections });
  if (t.avgLatencyMs !== undefined) metrics.push({ name: 'avg latency', unit: ' ms', perServer: load.avgLatencyMs, target: t.avgLatencyMs });
  if (t.outstandingRequests !== undefined) metrics.push({ name: 'outstanding per server', unit: '', perServer: perServer(load.outstandingRequests), target: t.outstandingRequests });
  if (metrics.length === 0 || servers === 0) return undefined;

  const scored = metrics.map((m) => {
    const ratio = m.perServer / m.target;
    const within = Math.abs(ratio - 1) <= tolerance;
    const wanted = within ? servers : Math.max(1, Math.ceil(servers * ratio));
    const relation = within ? 'within' : ratio > 1 ? '>' : '<';
    const band = `(${within ? '' : ratio > 1 ? '+' : '-'}${Math.round(tolerance * 100)}% tolerance)`;
    const why = `avg ${formatNumber(m.perServer)}${m.unit} ${m.name} over ${load.windowSeconds} s ${relation} target ${formatNumber(m.target)}${m.unit} ${band}`;
    return { wanted, why };
  });
  const top = scored.reduce((a, b) => (b.wanted > a.wanted ? b : a));
  return { servers: top.wanted, why: top.why };
}

function replacements(spec: ClusterSpec, state: ControllerState, observed: Observation, detection: Detection, now: number): Replacement[] {
  if (!observed.config.readable) return [];
  const members = observed.config.config.members;
  const result: Replacement[] = [];
  const add = (r: Replacement): void => {
    if (!result.some((x) => x.serverId === r.serverId)) result.push(r);
  };
  const failed = members
    .map((m) => ({ m, v: detection.verdicts.get(m.serverId) }))
    .filter((x) => x.v?.status === 'failed')
    .sort((a, b) => (a.m.role === b.m.role ? (a.v?.since ?? 0) - (b.v?.since ?? 0) : a.m.role === 'voter' ? -1 : 1));
  for (const { m, v } of failed) add({ serverId: m.serverId, role: m.role, reason: 'failed', why: `replace ${m.role} ${m.serverId}: ${v?.evidence}` });
  // Requests (an operator's, or notices of several servers at once): notices due soon first, the
  // earliest first (AWS takes the server then, leader or not); then the leader last (its replacement
  // costs an election, and a follower it hands the lead to may be one to replace next), then the
  // earliest deadline; ties in the order they came in.
  const leader = leaderOf(observed.probes);
  const notices = observed.requests.notices ?? {};
  const deadline = (id: ServerId): number => notices[id]?.deadline ?? MAX_TIME_MS;
  const urgent = (id: ServerId): boolean => deadline(id) - now <= NOTICE_URGENT_MS;
  const requested = [...new Set([...state.replaceRequests, ...observed.requests.replace])]
    .flatMap((id) => members.filter((m) => m.serverId === id))
    .sort((a, b) => {
      const lastLeader = Number(a.serverId === leader) - Number(b.serverId === leader);
      const earliest = deadline(a.serverId) - deadline(b.serverId);
      const soon = Number(urgent(b.serverId)) - Number(urgent(a.serverId));
      return soon || (urgent(a.serverId) ? earliest || lastLeader : lastLeader || earliest);
    });
  for (const m of requested) {
    const last = m.serverId === leader && requested.length > 1 && m === requested.at(-1) ? ' (leader last)' : '';
    add({ serverId: m.serverId, role: m.role, reason: 'requested', why: `replace ${m.role} ${m.serverId}: ${notices[m.serverId]?.reason ?? 'an operator asked for it'}${last}` });
  }
  const misplaced = zoneMajority(spec, state, observed, now);
  if (misplaced) add(misplaced);
  const template = spec.launchTemplate;
  if (template) {
    const outdated = members
      .map((m) => ({ m, record: liveInstance(observed.instances, m.serverId) }))
      .filter((x) => x.record?.launchTemplateVersion !== undefined && x.record.launchTemplateVersion !== template.version)
      .sort((a, b) => Number(a.m.serverId === leader) - Number(b.m.serverId === leader) || a.m.serverId - b.m.serverId);
    for (const { m, record } of outdated) {
      add({ serverId: m.serverId, role: m.role, reason: 'outdated', why: `replace ${m.role} ${m.serverId}: launched from template version ${record?.launchTemplateVersion}, spec has ${template.version} (rolling, one at a time${m.serverId === leader ? ', leader last' : ''})` });
    }
  }
  return result;
}

/**
 * Spread repaired: when one zone holds a majority of the voters (a scale-in that took a failed voter,
 * a heal that found no capacity elsewhere) while a zone of the spec that may take one holds at least
 * two fewer, a voter of the crowded zone (not the leader) is replaced; placement puts its successor
 * in the emptiest zone. Losing the crowded zone would otherwise lose the quorum.
 */
function zoneMajority(spec: ClusterSpec, state: ControllerState, observed: Observation, now: number): Replacement | undefined {
  if (spec.zonePolicy !== 'spread' || !observed.config.readable) return undefined;
  // After a launch failed or EC2 moved one (no capacity), repair waits: it would land back where it started.
  if (state.launchFailures && now - state.launchFailures.lastAt < SPREAD_REPAIR_QUIET_MS) return undefined;
  const voters = votersOf(observed.config.config.members);
  const perZone = new Map(spec.zones.map((z) => [z.name, [] as ServerId[]]));
  for (const v of voters) perZone.get(liveInstance(observed.instances, v.serverId)?.zone ?? '')?.push(v.serverId);
  const [crowded, ids] = [...perZone].reduce((a, b) => (b[1].length > a[1].length ? b : a));
  if (ids.length <= voters.length / 2) return undefined;
  const open = [...perZone].filter(([zone, held]) => held.length <= ids.length - 2 && !state.zonesAvoided.some((a) => a.zone === zone && a.until > now));
  const leader = leaderOf(observed.probes);
  const chosen = ids.filter((id) => id !== leader).sort((a, b) => a - b)[0];
  if (open.length === 0 || chosen === undefined) return undefined;
  return {
    serverId: chosen,
    role: 'voter',
    reason: 'misplaced',
    why: `replace voter ${chosen}: zone ${crowded} holds ${ids.length} of ${voters.length} voters (losing it would lose the quorum) while zone ${open[0]?.[0]} holds ${open[0]?.[1].length}`,
  };
}

/** How long spread repair waits after a launch failed or landed elsewhere: long enough that a zone
 * short of capacity costs at most 12 ids a day, short enough that spread comes back soon after. */
export const SPREAD_REPAIR_QUIET_MS = 2 * 3_600_000;

/** A notice due within this goes before every other request, the leader's included: a replacement
 * without a hot spare takes a minute or more (launch, boot, sync), and the leader-last order must not
 * make a server wait until AWS takes it. */
export const NOTICE_URGENT_MS = 15 * 60_000;

// One formatter, made once: toLocaleString builds a new one per call, which dominated the tick.
const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

function formatNumber(n: number): string {
  return NUMBER.format(n);
}
