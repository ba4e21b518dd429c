import { ClusterSpecSchema, initialState, type ClusterSpec, type ControllerState } from '../../lib/config/index.js';
import { modelHealth, notServingProbe, servingProbe, silentProbe } from '../../lib/sim/probes.js';
import {
  leaderOf,
  memberAt,
  NO_REQUESTS,
  type ConfigMember,
  type EnsembleConfig,
  type Instance,
  type MemberProbe,
  type Observation,
  type ServerHealth,
  type ServerId,
  type ServerMode,
  type Step,
} from '../../lib/core/index.js';

// Builders for the pure core's inputs: a spec, a state, and what a tick observed.

export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

export function testSpec(overrides: Record<string, unknown> = {}): ClusterSpec {
  return ClusterSpecSchema.parse({ cluster: 'test', zones: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], ...overrides });
}

export const hostOf = (id: ServerId): string => `10.0.${Math.floor(id / 256)}.${id % 256}`;

export function member(spec: ClusterSpec, id: ServerId, role: ConfigMember['role'] = 'voter'): ConfigMember {
  return memberAt(spec.zookeeper, id, hostOf(id), role);
}

export function health(mode: ServerMode, overrides: Partial<ServerHealth> = {}): ServerHealth {
  return modelHealth(mode, undefined, { votersInConfig: 3, ...overrides });
}

export function serving(id: ServerId, mode: ServerMode, overrides: Partial<ServerHealth> = {}): MemberProbe {
  return servingProbe(id, hostOf(id), mode, undefined, { votersInConfig: 3, ...overrides });
}

export function down(id: ServerId): MemberProbe {
  return silentProbe(id, hostOf(id));
}

export function notServing(id: ServerId): MemberProbe {
  return notServingProbe(id, hostOf(id));
}

export function instance(id: ServerId, state: Instance['state'] = 'running', zone = 'a'): Instance {
  return { serverId: id, instanceId: `i-${id}`, host: hostOf(id), state, zone };
}

export interface WorldOptions {
  readonly voters?: readonly ServerId[];
  readonly observers?: readonly ServerId[];
  readonly leader?: ServerId;
  /** Members whose probe gets no answer. */
  readonly down?: readonly ServerId[];
  /** Running, synced non-voting followers outside the config (joiners). */
  readonly joiners?: readonly ServerId[];
  readonly version?: bigint;
}

export function config(spec: ClusterSpec, voters: readonly ServerId[], observers: readonly ServerId[] = [], version = 0x100000000n): EnsembleConfig {
  return { version, members: [...voters.map((id) => member(spec, id, 'voter')), ...observers.map((id) => member(spec, id, 'observer'))].sort((a, b) => a.serverId - b.serverId) };
}

/** What a tick sees of an ensemble: every member and joiner probed, each with a running instance. */
export function observe(spec: ClusterSpec, o: WorldOptions = {}, extra: Partial<Observation> = {}): Observation {
  const voters = o.voters ?? [1, 2, 3];
  const observers = o.observers ?? [];
  const leader = o.leader ?? voters[0];
  const downSet = new Set(o.down ?? []);
  const all = [...voters, ...observers, ...(o.joiners ?? [])];
  const probes = all.map((id) =>
    downSet.has(id)
      ? down(id)
      : serving(id, id === leader ? 'leader' : observers.includes(id) ? 'observer' : 'follower', { votersInConfig: voters.length }),
  );
  return {
    config: { readable: true, config: config(spec, voters, observers, o.version) },
    probes,
    instances: all.map((id) => instance(id, 'running', spec.zones[id % spec.zones.length]?.name ?? 'a')),
    requests: NO_REQUESTS,
    ...extra,
  };
}

/** A state that has handed out ids up to the highest. */
export function stateFor(spec: ClusterSpec, observed: Observation, overrides: Partial<ControllerState> = {}): ControllerState {
  const ids = observed.instances.map((i) => i.serverId);
  const leader = leaderOf(observed.probes);
  return {
    ...initialState(spec.cluster, Math.max(0, ...ids) + 1),
    leader: leader === undefined ? { changes: [] } : { serverId: leader, changes: [] },
    ...overrides,
  };
}

/** The observation with `id`'s instance in `state` (EC2 says so before any probe misses). */
export function instanceIs(observed: Observation, id: number, state: 'stopped' | 'terminated'): Observation {
  return { ...observed, instances: observed.instances.map((i) => (i.serverId === id ? { ...i, state } : i)) };
}

export function reconfigOf(step: Step): { add: [number, string][]; remove: readonly number[] } {
  if (step.kind !== 'reconfig' || step.change.kind !== 'incremental') throw new Error(`reconfig expected, got ${step.kind}: ${step.why}`);
  return { add: step.change.add.map((m) => [m.serverId, m.role]), remove: step.change.remove };
}
