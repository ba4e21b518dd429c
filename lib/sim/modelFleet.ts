import type { ClusterSpec } from '../config/spec.js';
import {
  applyChange,
  initialZone,
  memberAt,
  NO_REQUESTS,
  type EnsembleConfig,
  type Instance,
  type LoadSample,
  type Observation,
  type ServerId,
  type Step,
} from '../core/index.js';
import { notServingProbe, servingProbe, silentProbe } from './probes.js';

// A modelled fleet and ensemble, stepped by the real core: launched servers answer after
// `launchTicks` and sync `syncTicks` later; a reconfig is applied as ZooKeeper would (it checks only
// that the new voters have a synced majority, and the config version); servers in a zone that is
// down, or crashed, answer nothing; without a synced majority of voters nobody serves.

export interface ModelOptions {
  /** Ticks from launch until the server answers. */
  readonly launchTicks: number;
  /** Ticks from answering until it is synced. */
  readonly syncTicks: number;
}

export interface ModelServer {
  readonly serverId: ServerId;
  state: Instance['state'];
  readonly zone: string;
  launchedAtTick: number;
  crashed: boolean;
}

export const modelHost = (id: ServerId): string => `10.${Math.floor(id / 256)}.${id % 256}.10`;

export class ModelFleet {
  config: EnsembleConfig;
  readonly servers = new Map<ServerId, ModelServer>();
  /** Every launch the fleet saw, including repeats of one id (which must be idempotent). */
  readonly launches: ServerId[] = [];
  readonly downZones = new Set<string>();
  tick = 0;

  constructor(
    spec: ClusterSpec,
    voters: readonly ServerId[],
    private readonly options: ModelOptions = { launchTicks: 1, syncTicks: 0 },
  ) {
    this.config = { version: 0x100000000n, members: voters.map((id) => memberAt(spec.zookeeper, id, modelHost(id), 'voter')) };
    for (const id of voters) this.servers.set(id, { serverId: id, state: 'running', zone: initialZone(spec, id), launchedAtTick: -100, crashed: false });
  }

  private reachable(s: ModelServer): boolean {
    return s.state === 'running' && !s.crashed && !this.downZones.has(s.zone);
  }

  answering(s: ModelServer): boolean {
    return this.reachable(s) && this.tick - s.launchedAtTick >= this.options.launchTicks;
  }

  synced(s: ModelServer): boolean {
    return this.answering(s) && this.tick - s.launchedAtTick >= this.options.launchTicks + this.options.syncTicks;
  }

  /** Whether a majority of the config's voters is synced: the ensemble serves. */
  hasQuorum(): boolean {
    const voters = this.config.members.filter((m) => m.role === 'voter');
    const synced = voters.filter((m) => {
      const s = this.servers.get(m.serverId);
      return s !== undefined && this.synced(s);
    });
    return synced.length > voters.length / 2;
  }

  observe(load?: LoadSample): Observation {
    const quorum = this.hasQuorum();
    const voters = this.config.members.filter((m) => m.role === 'voter').map((m) => m.serverId);
    const leader = quorum ? voters.find((id) => this.synced(this.servers.get(id) as ModelServer)) : undefined;
    const alive = [...this.servers.values()].filter((s) => s.state !== 'terminated');
    const perServer = load && alive.length ? load.requestsPerSecond / alive.length : 0;
    const probes = alive.map((s) => {
      if (!this.answering(s)) return silentProbe(s.serverId, modelHost(s.serverId));
      if (!quorum || !this.synced(s)) return notServingProbe(s.serverId, modelHost(s.serverId));
      const member = this.config.members.find((m) => m.serverId === s.serverId);
      const mode = s.serverId === leader ? 'leader' : member?.role === 'observer' ? 'observer' : 'follower';
      return servingProbe(s.serverId, modelHost(s.serverId), mode, { connections: 10, outstandingRequests: 0, avgLatencyMs: 1, packetsReceived: Math.round(perServer * 60 * this.tick) });
    });
    const instances: Instance[] = [...this.servers.values()].map((s) => ({
      serverId: s.serverId,
      instanceId: `i-${s.serverId}`,
      host: modelHost(s.serverId),
      state: this.downZones.has(s.zone) && s.state === 'running' ? 'impaired' : s.state,
      zone: s.zone,
    }));
    return { config: { readable: quorum, ...(quorum ? { config: this.config } : { reason: 'no server serves: no quorum' }) } as Observation['config'], probes, instances, load, requests: NO_REQUESTS };
  }

  apply(step: Step): void {
    switch (step.kind) {
      case 'launch':
        this.launches.push(step.serverId);
        if (!this.servers.has(step.serverId)) {
          this.servers.set(step.serverId, { serverId: step.serverId, state: 'running', zone: step.zone, launchedAtTick: this.tick, crashed: false });
        }
        return;
      case 'reconfig': {
        if (step.change.fromVersion !== this.config.version || !this.hasQuorum()) return; // BadVersion, or no leader
        const members = applyChange(this.config.members, step.change);
        const voters = members.filter((m) => m.role === 'voter');
        const synced = voters.filter((m) => {
          const s = this.servers.get(m.serverId);
          return s !== undefined && this.synced(s);
        });
        if (synced.length <= voters.length / 2) return; // -13
        this.config = { version: this.config.version + 1n, members };
        return;
      }
      case 'terminate': {
        const s = this.servers.get(step.serverId);
        if (s) s.state = 'terminated';
        return;
      }
      default:
        return;
    }
  }
}
