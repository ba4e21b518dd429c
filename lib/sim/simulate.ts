import type { ClusterSpec } from '../config/spec.js';
import { initialState, type ControllerState } from '../config/state.js';
import { initialZone, seededRng, think, type ServerId } from '../core/index.js';
import { ModelFleet, type ModelOptions } from './modelFleet.js';

// The fleet simulator: the real core (`think`, the very function the controller runs) stepped
// through simulated one-minute ticks against a modelled fleet, with a load trace, random server
// failures and zone outages. Reports what an operator cares about: scaling actions, minutes under
// capacity, server-minutes against an ideal oracle, flaps, and how often a quorum was there.

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
  readonly samples: readonly Sample[];
}

export function simulate(scenario: Scenario): SimulationReport {
  const { spec } = scenario;
  const ids: ServerId[] = Array.from({ length: spec.voters.desired }, (_, i) => i + 1);
  const fleet = new ModelFleet(spec, ids, scenario.model ?? { launchTicks: 1, syncTicks: 1 });
  let state: ControllerState = { ...initialState(spec.cluster, ids.length + 1), members: ids.map((serverId) => ({ serverId, zone: initialZone(spec, serverId), launchedAt: 0 })) };
  const rng = seededRng(scenario.seed ?? 1);
  const samples: Sample[] = [];
  const actions = { launches: 0, reconfigs: 0, terminations: 0 };
  let failuresInjected = 0;
  let underCapacity = 0;
  let serverMinutes = 0;
  let oracleServerMinutes = 0;
  let quorumMinutes = 0;

  scenario.trace.forEach((load, minute) => {
    fleet.tick = minute;
    const outage = scenario.zoneOutage;
    if (outage && minute === outage.fromMinute) fleet.downZones.add(outage.zone);
    if (outage && minute === outage.toMinute) fleet.downZones.delete(outage.zone);
    if (scenario.failureRate) {
      for (const s of fleet.servers.values()) {
        if (s.state === 'running' && !s.crashed && rng() < scenario.failureRate) {
          s.state = 'stopped';
          failuresInjected++;
        }
      }
    }
    const now = minute * 60_000;
    const thought = think(spec, state, fleet.observe({ windowSeconds: 60, requestsPerSecond: load, connections: 0, avgLatencyMs: 1, outstandingRequests: 0 }), now);
    state = thought.state;
    const version = fleet.config.version;
    const known = fleet.servers.size;
    fleet.apply(thought.step);
    if (fleet.servers.size > known) actions.launches++;
    if (fleet.config.version !== version) actions.reconfigs++;
    if (thought.step.kind === 'terminate') actions.terminations++;

    const quorum = fleet.hasQuorum();
    const serving = [...fleet.servers.values()].filter((s) => fleet.synced(s) && fleet.config.members.some((m) => m.serverId === s.serverId)).length;
    const running = [...fleet.servers.values()].filter((s) => s.state === 'running').length;
    if (!quorum || serving * scenario.serverCapacity < load) underCapacity++;
    if (quorum) quorumMinutes++;
    serverMinutes += running;
    oracleServerMinutes += Math.max(spec.voters.desired, Math.ceil(load / scenario.serverCapacity));
    const members = fleet.config.members;
    samples.push({
      minute,
      load,
      voters: members.filter((m) => m.role === 'voter').length,
      observers: members.filter((m) => m.role === 'observer').length,
      desiredVoters: thought.decision.voters.desired,
      desiredObservers: thought.decision.observers.desired,
      failures: [...thought.detection.verdicts.values()].filter((v) => v.status === 'failed').length,
      quorum,
    });
  });
  return {
    minutes: scenario.trace.length,
    actions,
    minutesUnderCapacity: underCapacity,
    serverMinutes,
    oracleServerMinutes,
    flaps: flaps(samples, Math.max(1, Math.round(spec.load.scaleInStabilizationSeconds / 60))),
    quorumAvailability: scenario.trace.length ? quorumMinutes / scenario.trace.length : 1,
    failuresInjected,
    samples,
  };
}

/** An observer count that turns around (up then down, or down then up) within `window` minutes. */
function flaps(samples: readonly Sample[], window: number): number {
  const changes: { minute: number; direction: number }[] = [];
  samples.forEach((s, i) => {
    const before = samples[i - 1];
    if (before && s.observers !== before.observers) changes.push({ minute: s.minute, direction: Math.sign(s.observers - before.observers) });
  });
  return changes.filter((c, i) => {
    const prev = changes[i - 1];
    return prev !== undefined && prev.direction !== c.direction && c.minute - prev.minute <= window;
  }).length;
}
