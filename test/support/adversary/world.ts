import type { ClusterSpec } from '../../../lib/config/index.js';
import { AwsCallError } from '../../../lib/adapters/aws/index.js';
import type { ClusterPorts } from '../../../lib/controller/index.js';
import { applyChange, hasQuorum, memberAt, voterIds, type EnsembleConfig, type Instance, type MemberProbe, type MembershipChange, type ServerId } from '../../../lib/core/index.js';
import type { Ensemble, EnsembleSession, Fleet, LaunchRequest, Probe, ReconfigOutcome } from '../../../lib/ports/index.js';
import { modelHealth } from '../../../lib/sim/index.js';
import { fleetDouble, testSuperUser } from '../doubles.js';
import { BadVersionError, ConnectionLossError, NewConfigNoQuorumError, ZooKeeperTimeoutError } from '../../../lib/zk/index.js';

// A model AWS world for the whole controller: EC2 (instances with a real zone, a private IP that can
// be handed out again once its instance is terminated, DescribeInstances that lags behind launches
// and keeps terminated instances listed for a while, ClientToken idempotency, capacity per zone,
// zone outages) and the ZooKeeper ensemble those instances run (a joiner answers after its boot
// delay and syncs after its sync delay; nobody serves without a synced majority of the voters; a
// reconfig is accepted at the config version read, with a synced majority of the NEW voters as
// the LEADER sees them, which counts a follower that hung less than syncLimit x tickTime ago).
//
// The world keeps the truth; the ports only show what AWS and ZooKeeper would show. Every act
// (launch, reconfig, terminate) is recorded with the invocation that did it, for the invariants.

export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'] as const;
export const GOOD_VERSION = '3.8.4-model, built on 2024-12-29 17:54 UTC';
export const BAD_VERSION = '3.5.5-model, built on 2019-05-03 13:00 UTC';
/** How long the leader still counts a stalled follower as synced: syncLimit (5) x tickTime (2 s). */
const LEADER_BLIND_MS = 10_000;
/** EC2 keeps terminated instances in DescribeInstances for about an hour. */
export const TERMINATED_LISTED_MS = 60 * 60_000;

export interface ModelInstance {
  readonly instanceId: string;
  readonly serverId: ServerId;
  readonly host: string;
  readonly zone: string;
  readonly operationId: string;
  /** The launch template version it was launched from (EC2 keeps it in a tag). */
  readonly templateVersion: string | undefined;
  readonly launchedAt: number;
  /** Pending until then, running after. */
  readonly runningAt: number;
  /** DescribeInstances shows it from then on (EC2's eventual consistency). */
  readonly listedFrom: number;
  state: 'pending' | 'running' | 'stopped' | 'terminated';
  /** A terminated instance stays listed until then. */
  listedUntil: number;
  /** When its ZooKeeper answers; undefined: it never boots (bad AMI, disk, security group). */
  readonly bootsAt: number | undefined;
  /** When it has caught up with the leader, once it answers. */
  readonly syncedAt: number | undefined;
  readonly version: string;
  /** Alive, not answering (SIGSTOP, a wedged JVM). */
  hungSince: number | undefined;
}

export interface Act {
  readonly kind: 'launch' | 'reconfig' | 'terminate';
  readonly invocation: number;
  /** The lease holder of the invocation at the time (`<holder>:<tickId>`), if it had taken one. */
  readonly holder: string | undefined;
  readonly startSeq: number;
  endSeq: number;
  readonly at: number;
  readonly what: string;
}

export interface CommitRecord {
  readonly at: number;
  readonly change: string;
  readonly oldVoters: readonly ServerId[];
  readonly newVoters: readonly ServerId[];
  /** Truly synced members at the moment of commit (not the leader's view). */
  readonly synced: readonly ServerId[];
}

/** One invocation of the tick function, as the world sees it. */
export interface Invocation {
  readonly id: number;
  holder: string | undefined;
}

export interface LaunchFault {
  readonly kind: 'never-boots' | 'old-version';
}

export class ModelWorld {
  now: number;
  config: EnsembleConfig;
  readonly instances: ModelInstance[] = [];
  readonly zonesDown = new Set<string>();
  readonly zonesWithoutCapacity = new Set<string>();
  /** Launches made while this is > 0 are missing from DescribeInstances for this long. */
  listLagMs = 0;
  /** The next launch gets the address of a terminated instance, when one is free. */
  reuseAddress = false;
  /** Faults the next launches suffer, in order. */
  readonly badLaunches: LaunchFault[] = [];
  readonly acts: Act[] = [];
  readonly commits: CommitRecord[] = [];
  /** Called before each act, with the act: the invariants' hook (lease checks). */
  onAct: ((act: Act) => void) | undefined;
  /** Bad launches that landed (each one an injected failure). */
  badLaunchesUsed = 0;
  lastBadLaunchAt = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private hostCounter = 20;
  private instanceCounter = 0x1000;
  private leader: ServerId | undefined;

  constructor(
    readonly spec: ClusterSpec,
    readonly rng: () => number,
    start: number,
  ) {
    this.now = start;
    const ids = [1, 2, 3];
    const hosts = ids.map((id, i) => this.launchInstance({ serverId: id, zone: ZONES[i] as string, operationId: `initial-${id}`, templateVersion: this.spec.launchTemplate?.version, booted: true }).host);
    this.config = { version: 0x100000000n, members: ids.map((id, i) => memberAt(spec.zookeeper, id, hosts[i] as string, 'voter')) };
  }

  // ---- truth ----

  reachable(i: ModelInstance): boolean {
    return i.state === 'running' && this.now >= i.runningAt && !this.zonesDown.has(i.zone);
  }

  answering(i: ModelInstance): boolean {
    return this.reachable(i) && i.hungSince === undefined && i.bootsAt !== undefined && this.now >= i.bootsAt;
  }

  private caughtUp(i: ModelInstance): boolean {
    return this.answering(i) && i.syncedAt !== undefined && this.now >= i.syncedAt;
  }

  /** The live (not terminated) instance of a server, if any. */
  instanceOf(serverId: ServerId): ModelInstance | undefined {
    return this.instances.find((i) => i.serverId === serverId && i.state !== 'terminated');
  }

  voters(): Set<ServerId> {
    return voterIds(this.config.members);
  }

  /** A synced majority of the voters: the ensemble serves. */
  serves(): boolean {
    return hasQuorum(this.voters(), this.caughtUpIds());
  }

  private caughtUpIds(): Set<ServerId> {
    return new Set(this.instances.filter((i) => this.caughtUp(i)).map((i) => i.serverId));
  }

  /** Servers truly synced: caught up with a leader that has a quorum. */
  syncedIds(): Set<ServerId> {
    return this.serves() ? this.caughtUpIds() : new Set();
  }

  /** What the leader counts as synced: a follower that stalled recently still looks synced. */
  private leaderViewSynced(): Set<ServerId> {
    const ids = this.caughtUpIds();
    for (const i of this.instances) {
      if (i.hungSince !== undefined && this.now - i.hungSince < LEADER_BLIND_MS && i.syncedAt !== undefined && i.hungSince >= i.syncedAt && i.state === 'running') ids.add(i.serverId);
    }
    return ids;
  }

  private currentLeader(): ServerId | undefined {
    const synced = this.syncedIds();
    const voters = this.voters();
    if (this.leader !== undefined && synced.has(this.leader) && voters.has(this.leader)) return this.leader;
    this.leader = [...voters].sort((a, b) => a - b).find((id) => synced.has(id));
    return this.leader;
  }

  /** The act sequence so far: acts that start later have a higher number. */
  get seqNow(): number {
    return this.seq;
  }

  // ---- faults ----

  kill(serverId: ServerId, how: 'stopped' | 'terminated' | 'hung'): boolean {
    const i = this.instanceOf(serverId);
    if (!i) return false;
    if (how === 'hung') i.hungSince ??= this.now;
    else {
      i.state = how;
      if (how === 'terminated') i.listedUntil = this.now + TERMINATED_LISTED_MS;
    }
    return true;
  }

  // ---- the ports, for one invocation ----

  portsFor(invocation: Invocation, gate: <T>(call: string, work: () => Promise<T>) => Promise<T> = (_c, w) => w()): ClusterPorts {
    const fleet: Fleet = fleetDouble({
      list: () => gate('fleet.list', async () => this.hop(() => this.list())),
      launch: (request) => gate('fleet.launch', async () => this.hop(() => this.act(invocation, 'launch', `launch ${request.serverId} in ${request.zone} (${request.operationId})`, () => this.launch(request)))),
      terminate: (serverId) => gate('fleet.terminate', async () => this.hop(() => this.act(invocation, 'terminate', `terminate ${serverId}`, () => this.terminate(serverId)))),
      bootLog: (serverId) => gate('fleet.bootLog', async () => this.hop(() => this.bootLog(serverId))),
    });
    const probe: Probe = {
      probe: (targets) => gate('probe', async () => this.hop(() => targets.map((t) => this.probe(t.serverId, t.host)))),
      // No client opens a session in this world: the leader's list is empty.
      sessions: () => gate('probe.sessions', async () => this.hop(() => [])),
    };
    const ensemble: Ensemble = { open: (connect) => gate('ensemble.open', async () => this.hop(() => this.session(invocation, connect, gate))) };
    return { fleet, probe, ensemble, superUser: testSuperUser() };
  }

  /** A few microtask hops, seeded: two invocations at once interleave differently per history. */
  private async hop<T>(work: () => T): Promise<T> {
    for (let n = Math.floor(this.rng() * 4); n > 0; n--) await Promise.resolve();
    return work();
  }

  private act<T>(invocation: Invocation, kind: Act['kind'], what: string, work: () => T): T {
    const act: Act = { kind, invocation: invocation.id, holder: invocation.holder, startSeq: this.seq++, endSeq: -1, at: this.now, what };
    this.onAct?.(act);
    this.acts.push(act);
    try {
      return work();
    } finally {
      act.endSeq = this.seq++;
    }
  }

  list(): Instance[] {
    return this.instances
      .filter((i) => this.now >= i.listedFrom && (i.state !== 'terminated' || this.now < i.listedUntil))
      .map((i) => ({
        serverId: i.serverId,
        instanceId: i.instanceId,
        host: i.host,
        state: i.state === 'running' && this.now < i.runningAt ? 'pending' : i.state === 'running' && this.zonesDown.has(i.zone) ? 'impaired' : i.state,
        zone: i.zone,
        launchTemplateVersion: i.templateVersion,
      }));
  }

  private launch(request: LaunchRequest): Instance {
    // ClientToken: the same operation is the same instance, whatever DescribeInstances shows.
    const same = this.instances.find((i) => i.operationId === request.operationId);
    if (same) return this.shown(same);
    const order = [request.zone, ...request.zones.map((z) => z.name).filter((z) => z !== request.zone)];
    const zone = order.find((z) => !this.zonesWithoutCapacity.has(z) && !this.zonesDown.has(z));
    if (zone === undefined) {
      throw new AwsCallError('ec2', 'RunInstances', `server ${request.serverId}`, 'InsufficientInstanceCapacity');
    }
    const fault = this.badLaunches.shift();
    if (fault) {
      this.badLaunchesUsed++;
      this.lastBadLaunchAt = this.now;
    }
    return this.shown(this.launchInstance({ serverId: request.serverId, zone, operationId: request.operationId, templateVersion: request.launchTemplate?.version, booted: false, fault }));
  }

  private shown(i: ModelInstance): Instance {
    const state = i.state === 'running' && this.now < i.runningAt ? 'pending' : i.state;
    return { serverId: i.serverId, instanceId: i.instanceId, host: i.host, state, zone: i.zone, launchTemplateVersion: i.templateVersion };
  }

  private launchInstance(x: { serverId: ServerId; zone: string; operationId: string; templateVersion: string | undefined; booted: boolean; fault?: LaunchFault | undefined }): ModelInstance {
    const free = this.reuseAddress ? this.freeAddressOfTerminated() : undefined;
    if (free) this.reuseAddress = false;
    const zoneIndex = ZONES.indexOf(x.zone as (typeof ZONES)[number]);
    const host = free ?? `10.0.${zoneIndex + 1}.${this.hostCounter++}`;
    const boot = x.booted ? -1 : 30_000 + Math.floor(this.rng() * 90_000);
    const sync = x.booted ? 0 : 5_000 + Math.floor(this.rng() * 35_000);
    const instance: ModelInstance = {
      instanceId: `i-0${(this.instanceCounter++).toString(16)}`,
      serverId: x.serverId,
      host,
      zone: x.zone,
      operationId: x.operationId,
      templateVersion: x.templateVersion,
      launchedAt: this.now,
      runningAt: x.booted ? this.now : this.now + 5_000 + Math.floor(this.rng() * 10_000),
      listedFrom: x.booted ? this.now : this.now + this.listLagMs,
      state: 'running',
      listedUntil: Number.POSITIVE_INFINITY,
      bootsAt: x.fault?.kind === 'never-boots' ? undefined : x.booted ? this.now - 1 : this.now + boot,
      syncedAt: x.booted ? this.now - 1 : this.now + boot + sync,
      version: x.fault?.kind === 'old-version' ? BAD_VERSION : GOOD_VERSION,
      hungSince: undefined,
    };
    this.instances.push(instance);
    return instance;
  }

  /** The address of a terminated instance that no live instance holds: EC2 may hand it out again. */
  private freeAddressOfTerminated(): string | undefined {
    const live = new Set(this.instances.filter((i) => i.state !== 'terminated').map((i) => i.host));
    const terminated = this.instances.filter((i) => i.state === 'terminated' && !live.has(i.host));
    return terminated.at(-1)?.host;
  }

  private terminate(serverId: ServerId): void {
    for (const i of this.instances) {
      if (i.serverId === serverId && i.state !== 'terminated') {
        i.state = 'terminated';
        i.listedUntil = this.now + TERMINATED_LISTED_MS;
      }
    }
  }

  /** EC2's console output: what a joiner that did not join printed last. */
  private bootLog(serverId: ServerId): string | undefined {
    const i = [...this.instances].reverse().find((x) => x.serverId === serverId);
    if (!i) return undefined;
    if (i.bootsAt === undefined) return 'cloud-init: mounting /dev/nvme1n1 on /var/lib/zookeeper: wrong fs type\nzookeeper.service: Failed with result exit-code.';
    if (i.version === BAD_VERSION) return `ZooKeeper ${i.version} started; reconfig support unknown`;
    return 'ZooKeeper started';
  }

  /** What `srvr` + `mntr` at `host` say, checked against the server id the target should be. */
  probe(serverId: ServerId, host: string): MemberProbe {
    const endpoint = `${host}:${this.spec.zookeeper.clientPort}`;
    const at = this.instances.find((i) => i.host === host && i.state !== 'terminated');
    const noAnswer = (failure: 'refused' | 'timeout', detail: string): MemberProbe => ({ serverId, endpoint, tookMs: failure === 'timeout' ? 2000 : 1, result: { status: 'no-answer', failure, detail } });
    if (!at || !this.reachable(at)) return noAnswer('timeout', `connect ETIMEDOUT ${host}`);
    if (at.hungSince !== undefined) return noAnswer('timeout', 'no answer within 2000 ms');
    if (!this.answering(at)) return noAnswer('refused', `connect ECONNREFUSED ${endpoint}`);
    if (at.serverId !== serverId) return { serverId, endpoint, tookMs: 2, result: { status: 'bad-answer', detail: `server ${at.serverId} answered at ${host}, not ${serverId}` } };
    if (!this.syncedIds().has(serverId)) return { serverId, endpoint, tookMs: 1, result: { status: 'not-serving', detail: 'This ZooKeeper instance is not currently serving requests' } };
    const member = this.config.members.find((m) => m.serverId === serverId);
    const mode = this.currentLeader() === serverId ? 'leader' : member?.role === 'observer' ? 'observer' : 'follower';
    const health = modelHealth(mode, undefined, { version: at.version, votersInConfig: this.voters().size });
    return { serverId, endpoint, tookMs: 2, result: { status: 'serving', health } };
  }

  // ---- the admin session ----

  private session(invocation: Invocation, connectString: string, gate: <T>(call: string, work: () => Promise<T>) => Promise<T>): EnsembleSession {
    // The ZooKeeper client shuffles the hosts and takes the first that accepts a connection; a hung
    // server accepts (its kernel does) and then never answers: the session is stuck with it.
    const hosts = connectString.split(',').map((h) => h.slice(0, h.lastIndexOf(':')));
    const shuffled = hosts.map((h) => ({ h, k: this.rng() })).sort((a, b) => a.k - b.k).map((x) => x.h);
    const server = shuffled.find((h) => {
      const i = this.instances.find((x) => x.host === h && x.state !== 'terminated');
      return i !== undefined && this.reachable(i) && (i.hungSince !== undefined || this.syncedIds().has(i.serverId));
    });
    const call = (operation: string) => ({ server: server ?? connectString, operation, args: '' });
    if (server === undefined) throw new ConnectionLossError(call('connect'));
    const live = (operation: string): void => {
      const i = this.instances.find((x) => x.host === server && x.state !== 'terminated');
      if (!i || !this.reachable(i)) throw new ConnectionLossError(call(operation));
      if (i.hungSince !== undefined) throw new ZooKeeperTimeoutError(call(operation), 5000);
      if (!this.syncedIds().has(i.serverId)) throw new ConnectionLossError(call(operation));
    };
    return {
      readConfig: () => gate('session.readConfig', async () => this.hop(() => (live('getConfig'), this.config))),
      reconfig: (change, plannedFrom) => gate('session.reconfig', async () => this.hop(() => this.act(invocation, 'reconfig', describe(change), () => this.reconfig(change, plannedFrom, live, call)))),
      confirmWrite: () => gate('session.confirmWrite', async () => this.hop(() => live('setData'))),
      reconfigAccess: async () => 'authorised',
      close: async () => undefined,
    };
  }

  /** A reconfig applied as the leader would take it, from no session (a doctored step in tests). */
  commit(change: MembershipChange): ReconfigOutcome {
    const call = (operation: string) => ({ server: 'leader', operation, args: '' });
    return this.reconfig(change, this.config, () => undefined, call);
  }

  private reconfig(change: MembershipChange, _plannedFrom: EnsembleConfig, live: (operation: string) => void, call: (operation: string) => { server: string; operation: string; args: string }): ReconfigOutcome {
    live('reconfig');
    if (change.fromVersion !== this.config.version) throw new BadVersionError(call('reconfig'));
    const members = applyChange(this.config.members, change);
    const newVoters = voterIds(members);
    if (!hasQuorum(newVoters, this.leaderViewSynced())) throw new NewConfigNoQuorumError(call('reconfig'));
    const synced = this.syncedIds();
    this.commits.push({ at: this.now, change: describe(change), oldVoters: [...this.voters()], newVoters: [...newVoters], synced: [...synced] });
    this.config = { version: this.config.version + 1n, members };
    return { outcome: 'committed', config: this.config, via: 'reply' };
  }
}

function describe(change: MembershipChange): string {
  if (change.kind === 'replace') return `replace with ${change.members.map((m) => `${m.serverId}:${m.role}`).join(',')}`;
  return [...change.add.map((m) => `+${m.role} ${m.serverId}`), ...change.remove.map((id) => `-${id}`)].join(' ') + ` @${change.fromVersion.toString(16)}`;
}
