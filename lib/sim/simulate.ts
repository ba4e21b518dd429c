import { isDeepStrictEqual } from 'node:util';
import type { ClusterSpec } from '../config/spec.js';
import { initialState, type ControllerState } from '../config/state.js';
import { activeSchedules, decide, detect, seededRng, think, type LoadSample, type ServerId } from '../core/index.js';
import { ModelFleet, type ModelOptions } from './modelFleet.js';

// The fleet simulator: the real core (`think`, the very function the controller runs) stepped
// through simulated one-minute ticks against a modelled fleet, with a load trace, random server
// failures and zone outages. Reports what an operator cares about: scaling actions, minutes under
// capacity, server-minutes against an ideal oracle, flaps, and how often a quorum was there.
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
  /** Each running server fails for good with this probability per minute (seeded). */
  readonly failureRate?: number;
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
  const failures = failureSchedule(scenario);
  const samples: Sample[] = [];
  const actions = { launches: 0, reconfigs: 0, terminations: 0 };
  const totals = { underCapacity: 0, serverMinutes: 0, oracleServerMinutes: 0, quorumMinutes: 0, failuresInjected: 0, stepped: 0 };
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
      const end = steadyUntil(scenario, state, fleet, failures, minute);
      if (end > minute) {
        const serving = last.voters + last.observers;
        const running = [...fleet.servers.values()].filter((s) => s.state === 'running').length;
        for (let m = minute; m < end; m++) account(m, true, serving, running, { ...last, failures: 0 });
        minute = end - 1;
        continue;
      }
    }
    fleet.tick = minute;
    const outage = scenario.zoneOutage;
    if (outage && minute === outage.fromMinute) fleet.downZones.add(outage.zone);
    if (outage && minute === outage.toMinute) fleet.downZones.delete(outage.zone);
    for (const s of fleet.servers.values()) {
      if (s.state === 'running' && !s.crashed && failures.at(s.serverId, s.launchedAtTick) === minute) {
        s.state = 'stopped';
        totals.failuresInjected++;
      }
    }
    const before = state;
    const thought = think(spec, state, fleet.observe(loadAt(trace[minute] ?? 0)), minute * 60_000);
    totals.stepped++;
    state = thought.state;
    const version = fleet.config.version;
    const known = fleet.launched;
    fleet.apply(thought.step);
    if (fleet.launched > known) actions.launches++;
    if (fleet.config.version !== version) actions.reconfigs++;
    if (thought.step.kind === 'terminate') actions.terminations++;
    steady = thought.step.kind === 'none' && isDeepStrictEqual(before, state) && fleetAtRest(fleet);

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
    unhealedAtEnd: fleet.config.members.filter((m) => {
      const s = fleet.servers.get(m.serverId);
      return !s || !fleet.synced(s);
    }).length,
    serverIds: { distinct: new Set(fleet.launches).size, highest: Math.max(0, ...fleet.launches), sessionCollisions: fleet.sessionCollisions, secondServers: fleet.secondServers },
    ticksStepped: totals.stepped,
    samples,
  };
}

/** Every server's failure minute, drawn once per launch (geometric, seeded): the same in both modes. */
interface FailureSchedule {
  at(serverId: ServerId, launchedAt: number): number;
  /** The first failure minute in [from, to) among the running servers. */
  firstBetween(fleet: ModelFleet, from: number, to: number): number;
}

function failureSchedule(scenario: Scenario): FailureSchedule {
  const p = scenario.failureRate ?? 0;
  const rng = seededRng(scenario.seed ?? 1);
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

/** All servers running are synced members (nothing launching or syncing) and the ensemble serves. */
function fleetAtRest(fleet: ModelFleet): boolean {
  if (!fleet.hasQuorum()) return false;
  for (const s of fleet.servers.values()) {
    if (s.state === 'terminated') continue;
    if (s.state !== 'running' || !fleet.synced(s) || !fleet.config.members.some((m) => m.serverId === s.serverId)) return false;
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
  const keeps = new Map<number, boolean>();
  const schedules = spec.schedules.length > 0 ? JSON.stringify(activeSchedules(spec.schedules, now)) : '';
  for (let m = from; m < end; m++) {
    const load = trace[m] ?? 0;
    let keep = keeps.get(load);
    if (keep === undefined) {
      const d = decide(spec, state, { ...observed, load: loadAt(load) }, detection, now);
      keep = d.voters.desired === d.voters.current && d.observers.desired === d.observers.current && d.replacements.length === 0 && isDeepStrictEqual(d.scaleInHold, state.scaleInHold);
      keeps.set(load, keep);
    }
    if (!keep) return m;
    if (schedules && JSON.stringify(activeSchedules(spec.schedules, m * 60_000)) !== schedules) return m;
  }
  return end;
}
