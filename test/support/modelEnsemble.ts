import type { ClusterSpec } from '../../lib/config/index.js';
import {
  applyChange,
  memberAt,
  NO_REQUESTS,
  type EnsembleConfig,
  type Instance,
  type MemberProbe,
  type Observation,
  type ServerId,
  type Step,
} from '../../lib/core/index.js';
import { down, hostOf, serving } from './world.js';

// A model of an ensemble for stepping the real core through many ticks without processes: launched
// servers sync after a tick, a reconfig is applied as ZooKeeper would (it checks only that the new
// voters have a synced majority), terminated servers are gone. Failures are injected by the test.

export interface ModelServer {
  readonly serverId: ServerId;
  state: Instance['state'];
  readonly zone: string;
  launchedAtTick: number;
  crashed: boolean;
}

export class ModelEnsemble {
  config: EnsembleConfig;
  readonly servers = new Map<ServerId, ModelServer>();
  /** Every launch the fleet saw, including repeats of one id (which must be idempotent). */
  readonly launches: ServerId[] = [];
  tick = 0;

  constructor(
    spec: ClusterSpec,
    voters: readonly ServerId[],
  ) {
    this.config = { version: 0x100000000n, members: voters.map((id) => memberAt(spec.zookeeper, id, hostOf(id), 'voter')) };
    for (const id of voters) this.servers.set(id, { serverId: id, state: 'running', zone: spec.zones[id % spec.zones.length]?.name ?? 'a', launchedAtTick: -10, crashed: false });
  }

  private isSynced(s: ModelServer): boolean {
    return s.state === 'running' && !s.crashed && this.tick - s.launchedAtTick >= 1;
  }

  observe(): Observation {
    const voters = this.config.members.filter((m) => m.role === 'voter').map((m) => m.serverId);
    const leader = voters.find((id) => {
      const s = this.servers.get(id);
      return s !== undefined && this.isSynced(s);
    });
    const probes: MemberProbe[] = [...this.servers.values()]
      .filter((s) => s.state !== 'terminated')
      .map((s) => {
        if (!this.isSynced(s)) return down(s.serverId);
        const m = this.config.members.find((c) => c.serverId === s.serverId);
        return serving(s.serverId, s.serverId === leader ? 'leader' : m?.role === 'observer' ? 'observer' : 'follower');
      });
    return {
      config: { readable: true, config: this.config },
      probes,
      instances: [...this.servers.values()].map((s) => ({ serverId: s.serverId, instanceId: `i-${s.serverId}`, host: hostOf(s.serverId), state: s.state, zone: s.zone })),
      requests: NO_REQUESTS,
    };
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
        if (step.change.fromVersion !== this.config.version) return; // BadVersion
        const members = applyChange(this.config.members, step.change);
        const voters = members.filter((m) => m.role === 'voter');
        const synced = voters.filter((m) => {
          const s = this.servers.get(m.serverId);
          return s !== undefined && this.isSynced(s);
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
