import { isDeepStrictEqual } from 'node:util';
import type { ClusterSpec } from '../config/spec.js';
import { initialState, type ControllerState } from '../config/state.js';
import { activeSchedules, decide, detect, NO_REQUESTS, seededRng, think, type LoadSample, type Requests, type ServerId } from '../core/index.js';
import { ModelFleet, type FailureKind, type ModelOptions } from './modelFleet.js';

// The fleet simulator: the real core (`think`, the very function the controller runs) stepped
// through simulated one-minute ticks against a modelled fleet, with a load trace, random server
// failures (EC2 stopped or terminated the instance, or the server hung), EC2's advance notices
// (Spot-style: a replace request, then the instance is taken some minutes later) and zone outages.
// Reports what an operator cares about: scaling actions, minutes under capacity, minutes with a
// voter missing, server-minutes against an ideal oracle, flaps, and how often a quorum was there.
// A failure EC2 knows of is seen by the tick of its own minute: an event wakes the tick within
// seconds (mttr.ts models those seconds); a hung server only by the probes of the following ticks.
//
// Steady stretches are skipped, not stepped: after a tick that changed nothing, with the fleet at
// rest, the next minutes are judged the same way until the core's own `decide` would change
// something at that minute's load, or a failure, an outage boundary, a schedule boundary or a timer
// comes. A test checks that skipping and stepping every minute give the same run.

export interface Scenario {
  readonly spec: ClusterSpec;
  /** Total read requests per second, one value per minute; the run is as long as the trace. */
  readonly trace: readonly number[];
  /** What one server serves before it is "under capacity". */
  readonly serverCapacity: number;
  readonly model?: ModelOptions;
  /** Each running server (spares included) fails for good with this probability per minute (seeded). */
  readonly failureRate?: number;
  /** How servers fail: EC2 stopped (the default) or terminated the instance, or the server hung. */
  readonly failureKind?: FailureKind;
  /** EC2's advance notices (a Spot interruption warning, a scheduled retirement): each running
   * server gets one with `rate` per minute (seeded apart from failures); a replace request arrives at
   * once and the instance is terminated `leadMinutes` later (Spot: 2, docs/aws-facts.md §11). */
  readonly notices?: { readonly rate: number; readonly leadMinutes?: number };
  readonly seed?: number;
  readonly zoneOutage?: { readonly zone: string; readonly fromMinute: number; readonly toMinute: number };
  /** Step every minute through the core, even the steady ones (slow; for checking the skipping). */
  readonly stepEveryMinute?: boolean;
  /** Keep per-minute samples (for pictures); off for long runs. */
  readonly keepSamples?: boolean;
}

export interface Sample {
  readonly minute: number;
  readonly load: number;
  readonly voters: number;
  readonly observers: number;
  readonly desiredVoters: number;
  readonly desiredObservers: number;
  readonly failures: number;
  readonly quorum: boolean;
}

export interface SimulationReport {
  readonly minutes: number;
  /** Servers launched, reconfigs committed, servers terminated. */
  readonly actions: { readonly launches: number; readonly reconfigs: number; readonly terminations: number };
  readonly minutesUnderCapacity: number;
  readonly serverMinutes: number;
  /** The fewest servers that would have served the trace: the spec's voters plus the observers the load needed. */
  readonly oracleServerMinutes: number;
  /** Changes of direction of the observer count within the scale-in stabilization window. */
  readonly flaps: number;
  readonly quorumAvailability: number;
  readonly failuresInjected: number;
  /** Of those, failures of a voter of the config (the others hit a spare, a joiner or a stray). */
  readonly voterFailures: number;
  /** Minutes in which a voter of the config was down or not synced, at the minute's tick (before or after its step). */
  readonly minutesVoterMissing: number;
  /** Notices given, and instances taken at their deadline while still in the config (replaced too late). */
  readonly notices: { readonly given: number; readonly takenInConfig: number };
  /** Hot spares launched, and swapped in for a voter by one reconfig. */
  readonly hotSpares: { readonly launches: number; readonly swaps: number };
  /** Members of the config whose server is down when the run ends (every failure healed: 0). */
  readonly unhealedAtEnd: number;
  /** Server ids: how many different ones were launched, the highest, and how often a reused id met
   * a live session of its predecessor or a second live server under one id was launched (never). */
  readonly serverIds: { readonly distinct: number; readonly highest: number; readonly sessionCollisions: number; readonly secondServers: number };
  /** Minutes the core was asked about; the rest were skipped as steady. */
  readonly ticksStepped: number;
  readonly samples: readonly Sample[];
}

const loadAt = (requestsPerSecond: number): LoadSample => ({ windowSeconds: 60, requestsPerSecond, connections: 0, avgLatencyMs: 1, outstandingRequests: 0 });

export function simulate(scenario: Scenario): SimulationReport {
  const { spec, trace } = scenario;
  const ids: ServerId[] = Array.from({ length: spec.voters.desired }, (_, i) => i + 1);
  const fleet = new ModelFleet(spec, ids, scenario.model ?? { launchTicks: 1, syncTicks: 1 });
  let state: ControllerState = initialState(spec.cluster, ids.length + 1);
  const failures = failureSchedule(scenario.failureRate ?? 0, scenario.seed ?? 1);
  // Notices draw from their own stream: adding them leaves the failures of a seed where they were.
  const notices = failureSchedule(scenario.notices?.rate ?? 0, ((scenario.seed ?? 1) ^ 0x5eed) >>> 0);
  const leadMinutes = scenario.notices?.leadMinutes ?? 2;
  /** Instances under notice, by server id and launch: the minute EC2 takes them. */
  const takes = new Map<string, { readonly serverId: ServerId; readonly launchedAt: number; readonly at: number }>();
  const failureKind = scenario.failureKind ?? 'stopped';
  const samples: Sample[] = [];
  const actions = { launches: 0, reconfigs: 0, terminations: 0 };
  const totals = { underCapacity: 0, serverMinutes: 0, oracleServerMinutes: 0, quorumMinutes: 0, failuresInjected: 0, voterFailures: 0, stepped: 0, voterMissing: 0 };
  const spareTotals = { launches: 0, swaps: 0 };
  const noticeTotals = { given: 0, takenInConfig: 0 };
  const observerChanges: { minute: number; direction: number }[] = [];
  let last: { voters: number; observers: number; desiredVoters: number; desiredObservers: number; failures: number } | undefined;
  let steady = false;

  const account = (minute: number, quorum: boolean, serving: number, running: number, s: NonNullable<typeof last>): void => {
    const load = trace[minute] ?? 0;
    if (!quorum || serving * scenario.serverCapacity < load) totals.underCapacity++;
    if (quorum) totals.quorumMinutes++;
    totals.serverMinutes += running;
    totals.oracleServerMinutes += Math.max(spec.voters.desired, Math.ceil(load / scenario.serverCapacity));
    if (scenario.keepSamples !== false) samples.push({ minute, load, quorum, ...s });
  };

  for (let minute = 0; minute < trace.length; minute++) {
    if (steady && !scenario.stepEveryMinute && last) {
      const end = Math.min(steadyUntil(scenario, state, fleet, failures, minute), notices.firstBetween(fleet, minute, trace.length), ...[...takes.values()].map((t) => Math.max(minute, t.at)));
      if (end > minute) {
        const serving = last.voters + last.observers;
        const running = [...fleet.servers.values()].filter((s) => s.state === 'running').length;
        const sample = { ...last, failures: 0 };
        for (let m = minute; m < end; m++) account(m, true, serving, running, sample);
        minute = end - 1;
        continue;
      }
    }
    fleet.tick = minute;
    const outage = scenario.zoneOutage;
    if (outage && minute === outage.fromMinute) fleet.downZones.add(outage.zone);
    if (outage && minute === outage.toMinute) fleet.downZones.delete(outage.zone);
    for (const [key, take] of takes) {
      if (take.at !== minute) continue;
      takes.delete(key);
      const s = fleet.servers.get(take.serverId);
      if (s?.launchedAtTick !== take.launchedAt || s.state !== 'running') continue; // replaced in time, or gone already
      if (fleet.config.members.some((m) => m.serverId === take.serverId)) noticeTotals.takenInConfig++;
      fleet.fail(take.serverId, 'terminated');
    }
    const noticed: ServerId[] = [];
    for (const s of fleet.servers.values()) {
      if (s.state !== 'running' || s.crashed) continue;
      // Both drawn for every server, in one order, whichever comes first: skipping draws them so too.
      const failsAt = failures.at(s.serverId, s.launchedAtTick);
      const noticeAt = notices.at(s.serverId, s.launchedAtTick);
      if (failsAt === minute) {
        if (fleet.config.members.some((m) => m.serverId === s.serverId && m.role === 'voter')) totals.voterFailures++;
        fleet.fail(s.serverId, failureKind);
        totals.failuresInjected++;
      } else if (noticeAt === minute) {
        noticed.push(s.serverId);
        takes.set(`${s.serverId}@${s.launchedAtTick}`, { serverId: s.serverId, launchedAt: s.launchedAtTick, at: minute + leadMinutes });
        noticeTotals.given++;
      }
    }
    const missingBefore = fleet.votersMissing().length > 0;
    const before = state;
    const observed = fleet.observe(loadAt(trace[minute] ?? 0));
    const thought = think(spec, state, noticed.length > 0 ? { ...observed, requests: noticeRequests(noticed, minute + leadMinutes) } : observed, minute * 60_000);
    totals.stepped++;
    state = thought.state;
    const version = fleet.config.version;
    const known = fleet.launched;
    fleet.apply(thought.step);
    if (fleet.launched > known) actions.launches++;
    if (fleet.launched > known && thought.step.kind === 'launch' && thought.step.role === 'spare') spareTotals.launches++;
    if (fleet.config.version !== version) {
      actions.reconfigs++;
      if (before.spares.some((id) => fleet.config.members.some((m) => m.serverId === id))) spareTotals.swaps++;
    }
    if (thought.step.kind === 'terminate') actions.terminations++;
    if (missingBefore || fleet.votersMissing().length > 0) totals.voterMissing++;
    steady = thought.step.kind === 'none' && isDeepStrictEqual(before, state) && fleetAtRest(fleet, state.spares);

    const members = fleet.config.members;
    const observers = members.filter((m) => m.role === 'observer').length;
    if (last && observers !== last.observers) observerChanges.push({ minute, direction: Math.sign(observers - last.observers) });
    last = {
      voters: members.length - observers,
      observers,
      desiredVoters: thought.decision.voters.desired,
      desiredObservers: thought.decision.observers.desired,
      failures: [...thought.detection.verdicts.values()].filter((v) => v.status === 'failed').length,
    };
    const serving = [...fleet.servers.values()].filter((s) => fleet.synced(s) && members.some((m) => m.serverId === s.serverId)).length;
    const running = [...fleet.servers.values()].filter((s) => s.state === 'running').length;
    account(minute, fleet.hasQuorum(), serving, running, last);
  }
  const window = Math.max(1, Math.round(spec.load.scaleInStabilizationSeconds / 60));
  return {
    minutes: trace.length,
    actions,
    minutesUnderCapacity: totals.underCapacity,
    serverMinutes: totals.serverMinutes,
    oracleServerMinutes: totals.oracleServerMinutes,
    flaps: observerChanges.filter((c, i) => i > 0 && observerChanges[i - 1]?.direction !== c.direction && c.minute - (observerChanges[i - 1]?.minute ?? 0) <= window).length,
    quorumAvailability: trace.length ? totals.quorumMinutes / trace.length : 1,
    failuresInjected: totals.failuresInjected,
    voterFailures: totals.voterFailures,
    minutesVoterMissing: totals.voterMissing,
    notices: noticeTotals,
    hotSpares: spareTotals,
    unhealedAtEnd: fleet.config.members.filter((m) => {
      const s = fleet.servers.get(m.serverId);
      return !s || !fleet.synced(s);
    }).length,
    serverIds: { distinct: new Set(fleet.launches).size, highest: Math.max(0, ...fleet.launches), sessionCollisions: fleet.sessionCollisions, secondServers: fleet.secondServers },
    ticksStepped: totals.stepped,
    samples,
  };
}

/** What a notice files: a replace request naming the deadline, as the instance-event handler does. */
function noticeRequests(ids: readonly ServerId[], deadlineMinute: number): Requests {
  const notices = Object.fromEntries(ids.map((id) => [id, { reason: `EC2 Spot interruption warning: instance taken at minute ${deadlineMinute}`, deadline: deadlineMinute * 60_000 }]));
  return { ...NO_REQUESTS, replace: ids, notices };
}

/** Every server's failure (or notice) minute, drawn once per launch (geometric, seeded): the same in both modes. */
interface FailureSchedule {
  at(serverId: ServerId, launchedAt: number): number;
  /** The first failure minute in [from, to) among the running servers. */
  firstBetween(fleet: ModelFleet, from: number, to: number): number;
}

function failureSchedule(p: number, seed: number): FailureSchedule {
  const rng = seededRng(seed);
  // Per server and launch: an id comes back, its new server fails on its own schedule.
  const drawn = new Map<string, number>();
  const at = (serverId: ServerId, launchedAt: number): number => {
    const key = `${serverId}@${launchedAt}`;
    let minute = drawn.get(key);
    if (minute === undefined) {
      minute = p > 0 ? Math.max(0, launchedAt) + 1 + Math.floor(Math.log(1 - rng()) / Math.log(1 - p)) : Number.POSITIVE_INFINITY;
      drawn.set(key, minute);
    }
    return minute;
  };
  return {
    at,
    firstBetween(fleet, from, to) {
      let first = to;
      for (const s of fleet.servers.values()) {
        if (s.state !== 'running' || s.crashed) continue;
        const m = at(s.serverId, s.launchedAtTick);
        if (m >= from && m < first) first = m;
      }
      return first;
    },
  };
}

/** Every member is synced, all servers running are synced members or the state's synced spares
 * (nothing launching or syncing), and the ensemble serves. */
function fleetAtRest(fleet: ModelFleet, spares: readonly ServerId[]): boolean {
  if (!fleet.hasQuorum()) return false;
  for (const m of fleet.config.members) {
    const s = fleet.servers.get(m.serverId);
    if (!s || !fleet.synced(s)) return false;
  }
  for (const s of fleet.servers.values()) {
    if (s.state === 'terminated') continue;
    if (s.state !== 'running' || !fleet.synced(s)) return false;
    if (!fleet.config.members.some((m) => m.serverId === s.serverId) && !spares.includes(s.serverId)) return false;
  }
  return true;
}

/**
 * The first minute from `from` on at which the steady judgement may change: a failure or outage
 * boundary, a schedule change, a timer (cooldowns, the scale-in hold, a leader change leaving the
 * election-storm window, an avoided zone coming back), or a load at which the core's own `decide` would no longer keep the
 * ensemble as it is. Between timers `decide` depends on the load alone, so it is memoised per value.
 */
function steadyUntil(scenario: Scenario, state: ControllerState, fleet: ModelFleet, failures: FailureSchedule, from: number): number {
  const { spec, trace } = scenario;
  let end = trace.length;
  // A timer that goes off after `from` ends the stretch at the minute it goes off; one already gone off changes nothing more.
  const atOrAfter = (ms: number): void => {
    if (ms > from * 60_000) end = Math.min(end, Math.ceil(ms / 60_000));
  };
  const outage = scenario.zoneOutage;
  if (outage) for (const boundary of [outage.fromMinute, outage.toMinute]) if (boundary >= from) end = Math.min(end, boundary);
  end = failures.firstBetween(fleet, from, end);
  for (const change of state.leader.changes) atOrAfter(change + spec.detection.electionStormWindowSeconds * 1000);
  if (state.lastScaleOutAt !== undefined) atOrAfter(state.lastScaleOutAt + spec.load.scaleOutCooldownSeconds * 1000);
  if (state.lastScaleInAt !== undefined) atOrAfter(state.lastScaleInAt + spec.load.scaleInCooldownSeconds * 1000);
  if (state.scaleInHold) atOrAfter(state.scaleInHold.since + spec.load.scaleInStabilizationSeconds * 1000);
  for (const avoided of state.zonesAvoided) atOrAfter(avoided.until);
  const now = from * 60_000;
  const observed = fleet.observe(loadAt(trace[from] ?? 0));
  const detection = detect(spec, state, observed, now);
  // Between timers `decide` depends on the load alone (without a load target, not even on that).
  const tracked = Object.values(spec.load.targets).some((t) => t !== undefined);
  const keeps = new Map<number, boolean>();
  const keepsAt = (m: number): boolean => {
    const load = trace[m] ?? 0;
    const key = tracked ? load : 0;
    let keep = keeps.get(key);
    if (keep === undefined) {
      const d = decide(spec, state, { ...observed, load: loadAt(load) }, detection, now);
      keep =
        d.voters.desired === d.voters.current &&
        d.observers.desired === d.observers.current &&
        d.spares.desired === d.spares.current &&
        d.spares.dropped.length === 0 &&
        d.replacements.length === 0 &&
        isDeepStrictEqual(d.scaleInHold, state.scaleInHold);
      keeps.set(key, keep);
    }
    return keep;
  };
  const schedules = spec.schedules.length > 0 ? JSON.stringify(activeSchedules(spec.schedules, now)) : '';
  // Without a load target or a schedule, one judgement holds for the whole stretch.
  if (!tracked && !schedules) return keepsAt(from) ? end : from;
  for (let m = from; m < end; m++) {
    if (!keepsAt(m)) return m;
    if (schedules && JSON.stringify(activeSchedules(spec.schedules, m * 60_000)) !== schedules) return m;
  }
  return end;
}
