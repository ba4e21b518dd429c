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
//
// Clients open sessions on every server each time it starts serving, with ids seeded as ZooKeeper
// seeds them: `id << 56 | elapsed_ms << 16`, elapsed since the instance booted. A server launched
// again under a reused id re-walks the same times, so a session of its predecessor still alive is
// met again: the model counts such collisions (there must be none). Sessions outlive their server
// (clients move), some for months. A launch is idempotent per operation id (EC2's ClientToken); a
// second live server under one id is counted too. Terminated instances are listed for an hour.
//
// Hot spares need nothing of their own: a launched server the config does not name follows the
// leader as a non-voting follower once synced (probed as a serving follower, not a member), stays
// synced across other reconfigs and leader changes (a real one resyncs within seconds, well inside
// a tick: docs/zookeeper-facts.md), and a reconfig adds it like any joiner. It fails like any
// running server. A failure is one of what EC2 sees: the instance stopped or terminated (listed so
// at once, and EC2 sends an event), or a hung server whose instance still runs (only probes tell).
//
// The clock counts ticks of `msPerTick` (a minute by default); the MTTR model (mttr.ts) runs the
// same fleet on a clock of milliseconds.

export interface ModelOptions {
  /** Ticks from launch until the server answers. */
  readonly launchTicks: number;
  /** Ticks from answering until it is synced. */
  readonly syncTicks: number;
  /** Whether a server launched at `tick` ever answers: `never` for an image that never boots. */
  readonly boots?: (serverId: ServerId, tick: number) => 'boots' | 'never';
  /** How long one tick of the fleet's clock is: 60,000 (a minute) unless a model runs in finer time. */
  readonly msPerTick?: number;
}

/** How a server fails: its instance stopped or terminated (EC2 lists it so at once and sends an
 * event), or hung: the instance runs, the server answers nothing. */
export type FailureKind = 'stopped' | 'terminated' | 'hung';

export interface ModelServer {
  readonly serverId: ServerId;
  state: Instance['state'];
  readonly zone: string;
  launchedAtTick: number;
  crashed: boolean;
  /** Defaults: `i-<id>`, launched by no operation, boots. */
  readonly instanceId?: string;
  readonly operationId?: string;
  readonly neverBoots?: boolean;
  /** When it last started serving (it re-seeds its session ids then), while it serves. */
  servingSince?: number | undefined;
  terminatedAtTick?: number | undefined;
}

/** Sessions clients open on a server each time it starts serving. */
const SESSIONS_PER_SERVE = 3;
/** How long a session lives, by a hash of its id: most minutes, some a day, a few two months. */
const SESSION_MINUTES = [10, 10, 10, 10, 10, 10, 30, 1440, 1440, 86_400] as const;
/** Milliseconds from an instance's boot until its ZooKeeper first serves. */
const BOOT_MS = 20_000;
/** EC2 lists a terminated instance for about an hour. */
const TERMINATED_LISTED_MS = 3_600_000;

export const modelHost = (id: ServerId): string => `10.${Math.floor(id / 256)}.${id % 256}.10`;

export class ModelFleet {
  config: EnsembleConfig;
  readonly servers = new Map<ServerId, ModelServer>();
  /** Every launch the fleet saw, including repeats of one id (which must be idempotent). */
  readonly launches: ServerId[] = [];
  readonly downZones = new Set<string>();
  tick = 0;
  /** Live global sessions: id -> the tick it expires. */
  readonly sessions = new Map<bigint, number>();
  /** Sessions opened with an id a live session already had: a reused server id met its predecessor. */
  sessionCollisions = 0;
  /** Launches that would have made a second live server under one id. */
  secondServers = 0;
  /** Instances of earlier generations of reused ids, while the fleet still lists them. */
  private terminated: { readonly instance: Instance; readonly at: number }[] = [];
  /** Instances launched (a repeat of one operation's launch is not a new one). */
  launched = 0;
  private lastReconfigTick = 0;
  private readonly msPerTick: number;

  constructor(
    spec: ClusterSpec,
    voters: readonly ServerId[],
    private readonly options: ModelOptions = { launchTicks: 1, syncTicks: 0 },
  ) {
    this.msPerTick = options.msPerTick ?? 60_000;
    this.config = { version: 0x100000000n, members: voters.map((id) => memberAt(spec.zookeeper, id, modelHost(id), 'voter')) };
    // The first voters were launched 100 minutes before the run: long synced.
    const launchedAtTick = Math.round((-100 * 60_000) / this.msPerTick);
    for (const id of voters) this.servers.set(id, { serverId: id, state: 'running', zone: initialZone(spec, id), launchedAtTick, crashed: false, instanceId: `i-${id}`, operationId: 'initial', neverBoots: false });
  }

  private reachable(s: ModelServer): boolean {
    return s.state === 'running' && !s.crashed && !this.downZones.has(s.zone);
  }

  answering(s: ModelServer): boolean {
    return this.reachable(s) && s.neverBoots !== true && this.tick - s.launchedAtTick >= this.options.launchTicks;
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

  /** Clients open sessions on servers that start serving now; expired sessions go. Idempotent per tick. */
  private serveClients(quorum: boolean): void {
    for (const [id, expires] of this.sessions) if (expires <= this.tick) this.sessions.delete(id);
    for (const s of this.servers.values()) {
      const serving = quorum && s.state !== 'terminated' && this.synced(s);
      if (!serving) {
        s.servingSince = undefined;
        continue;
      }
      if (s.servingSince !== undefined) continue;
      s.servingSince = this.tick;
      const elapsedMs = BigInt(BOOT_MS + Math.round(Math.max(0, this.tick - s.launchedAtTick - this.options.launchTicks) * this.msPerTick));
      const seed = (BigInt(s.serverId) << 56n) | (elapsedMs << 16n);
      for (let n = 0n; n < BigInt(SESSIONS_PER_SERVE); n++) {
        const id = seed + n;
        if (this.sessions.has(id)) this.sessionCollisions++;
        const minutes = SESSION_MINUTES[Number((id * 2654435761n) % BigInt(SESSION_MINUTES.length))] as number;
        this.sessions.set(id, this.tick + Math.ceil((minutes * 60_000) / this.msPerTick));
      }
    }
  }

  /** The zxid servers report: the config's, plus one client write a minute since it changed. */
  private zxid(): bigint {
    return this.config.version + BigInt(Math.max(0, this.tick - this.lastReconfigTick));
  }

  observe(load?: LoadSample): Observation {
    const quorum = this.hasQuorum();
    this.serveClients(quorum);
    const voters = this.config.members.filter((m) => m.role === 'voter').map((m) => m.serverId);
    const leader = quorum ? voters.find((id) => this.synced(this.servers.get(id) as ModelServer)) : undefined;
    const alive = [...this.servers.values()].filter((s) => s.state !== 'terminated');
    const perServer = load && alive.length ? load.requestsPerSecond / alive.length : 0;
    // A member with no live server is probed where the config says (as the controller does), and answers nothing.
    const unlisted = this.config.members.filter((m) => !alive.some((s) => s.serverId === m.serverId)).map((m) => silentProbe(m.serverId, modelHost(m.serverId)));
    const probes = alive.map((s) => {
      if (!this.answering(s)) return silentProbe(s.serverId, modelHost(s.serverId));
      if (!quorum || !this.synced(s)) return notServingProbe(s.serverId, modelHost(s.serverId));
      const member = this.config.members.find((m) => m.serverId === s.serverId);
      const mode = s.serverId === leader ? 'leader' : member?.role === 'observer' ? 'observer' : 'follower';
      return servingProbe(s.serverId, modelHost(s.serverId), mode, { connections: 10, outstandingRequests: 0, avgLatencyMs: 1, packetsReceived: Math.round(perServer * 60 * this.tick) }, { zxid: this.zxid() });
    });
    probes.push(...unlisted);
    const listed = TERMINATED_LISTED_MS / this.msPerTick;
    this.terminated = this.terminated.filter((t) => this.tick - t.at < listed);
    const instances: Instance[] = [
      ...this.terminated.map((t) => t.instance),
      ...[...this.servers.values()]
        .filter((s) => s.state !== 'terminated' || this.tick - (s.terminatedAtTick ?? 0) < listed)
        .map((s) => ({
          serverId: s.serverId,
          instanceId: s.instanceId ?? `i-${s.serverId}`,
          host: modelHost(s.serverId),
          state: this.downZones.has(s.zone) && s.state === 'running' ? ('impaired' as const) : s.state,
          zone: s.zone,
        })),
    ];
    const config = quorum ? { readable: true as const, config: this.config } : { readable: false as const, reason: 'no server serves: no quorum' };
    return { config, probes, instances, load, requests: NO_REQUESTS, sessions: this.leaderSessions(leader) };
  }

  /** What the leader's `dump` would list. */
  leaderSessions(leader: ServerId | undefined): Observation['sessions'] {
    if (leader === undefined) return { readable: false, reason: 'no leader' };
    return { readable: true, leader, sessionIds: [...this.sessions.keys()] };
  }

  /** A running server fails now (one that is not running, or already hung, is left as it is). */
  fail(serverId: ServerId, kind: FailureKind): void {
    const s = this.servers.get(serverId);
    if (!s || s.state !== 'running' || s.crashed) return;
    if (kind === 'hung') s.crashed = true;
    else s.state = kind;
    if (kind === 'terminated') s.terminatedAtTick = this.tick;
  }

  /** Voters of the config whose server is down or not synced: the ensemble runs a voter short. */
  votersMissing(): ServerId[] {
    return this.config.members
      .filter((m) => {
        if (m.role !== 'voter') return false;
        const s = this.servers.get(m.serverId);
        return s === undefined || !this.synced(s);
      })
      .map((m) => m.serverId);
  }

  apply(step: Step): void {
    switch (step.kind) {
      case 'launch': {
        this.launches.push(step.serverId);
        const before = this.servers.get(step.serverId);
        if (before && before.state !== 'terminated') {
          if (before.operationId !== step.operationId) this.secondServers++;
          return; // the same operation: EC2 returns the instance its ClientToken launched
        }
        if (before) this.terminated.push({ instance: { serverId: before.serverId, instanceId: before.instanceId ?? `i-${before.serverId}`, host: modelHost(before.serverId), state: 'terminated', zone: before.zone }, at: before.terminatedAtTick ?? this.tick });
        const launch = this.launched++;
        const neverBoots = this.options.boots?.(step.serverId, this.tick) === 'never';
        const instanceId = before ? `i-${step.serverId}-${launch}` : `i-${step.serverId}`;
        this.servers.set(step.serverId, { serverId: step.serverId, state: 'running', zone: step.zone, launchedAtTick: this.tick, crashed: false, instanceId, operationId: step.operationId, neverBoots });
        return;
      }
      case 'reconfig': {
        if (step.change.fromVersion !== this.config.version || !this.hasQuorum()) return; // BadVersion, or no leader
        const members = applyChange(this.config.members, step.change);
        const voters = members.filter((m) => m.role === 'voter');
        const synced = voters.filter((m) => {
          const s = this.servers.get(m.serverId);
          return s !== undefined && this.synced(s);
        });
        if (synced.length <= voters.length / 2) return; // -13
        this.config = { version: this.zxid() + 1n, members };
        this.lastReconfigTick = this.tick;
        return;
      }
      case 'terminate': {
        const s = this.servers.get(step.serverId);
        if (s && s.state !== 'terminated') {
          s.state = 'terminated';
          s.terminatedAtTick = this.tick;
        }
        return;
      }
      default:
        return;
    }
  }
}
