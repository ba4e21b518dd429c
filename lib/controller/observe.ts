import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import { liveInstance, wantsLeaderSessions, type ConfigMember, type ConfigObservation, type EnsembleConfig, type Instance, type MemberProbe, type Observation, type ServerId, type SessionsObservation } from '../core/index.js';
import { toControllerError } from '../errors.js';
import type { EnsembleSession, Log, MetricsSource, OperatorRequest, StateStore } from '../ports/index.js';
import type { ClusterPorts } from './tick.js';

// Observe: list the fleet, probe every instance (which also checks that the server answering at an
// address is the one the fleet says lives there), then read the committed config through servers
// whose probe answered, racing a few of them so that one hung server costs nothing; probe any
// member the fleet did not list; read the load window and new operator requests. Only when the
// judgement would reuse a retired server id, read the leader's list of live sessions too.

export interface Observed {
  readonly observation: Observation;
  /** The state with the new operator requests' time mark. */
  readonly state: ControllerState;
  /** The admin session the config was read through, kept open for this tick's step. */
  readonly session: EnsembleSession | undefined;
  /** The server that session is connected to (a serving server whose identity its probe checked). */
  readonly sessionServer: ServerId | undefined;
}

interface ObserveInputs {
  readonly spec: ClusterSpec;
  readonly state: ControllerState;
  readonly ports: ClusterPorts;
  readonly store: StateStore;
  readonly load: MetricsSource;
  readonly now: number;
  readonly log: Log;
}

/** Servers the config read races: enough that a hung or lagging one never decides the tick. */
const CONFIG_READERS = 3;

export async function observe(x: ObserveInputs): Promise<Observed> {
  const instances = await x.ports.fleet.list();
  const targets = targetsOf(instances);
  const first = await x.ports.probe.probe(targets);
  const hostOf = new Map(targets.map((t) => [t.serverId, t.host]));
  const read = await readConfig(x, first, hostOf);
  const { config } = read;
  // A member at an address the fleet did not list (or lists elsewhere) is probed where the config says.
  const unprobed = config.readable ? config.config.members.filter((m) => hostOf.get(m.serverId) !== m.clientHost) : [];
  const ids = new Set([...first.map((p) => p.serverId), ...unprobed.map((m) => m.serverId)]);
  const [more, load, requests] = await Promise.all([
    unprobed.length > 0 ? x.ports.probe.probe(unprobed.map((m) => ({ serverId: m.serverId, host: m.clientHost }))) : Promise.resolve([]),
    hasLoadTargets(x.spec) ? x.load.loadWindow(x.spec.cluster, [...ids], x.spec.load.windowSeconds, x.now) : Promise.resolve(undefined),
    x.store.readRequests(x.spec.cluster),
  ]);
  const probes = [...first.filter((p) => !more.some((m) => m.serverId === p.serverId)), ...more];
  const fresh = requests.filter((r) => r.at > x.state.requestsSeenUpTo);
  // A notice is about one instance: once its server id runs on another (the id came back), it is not that server's.
  const current = (r: OperatorRequest): boolean => !('instanceId' in r) || liveInstance(instances, r.serverId)?.instanceId === r.instanceId;
  const seenUpTo = Math.max(x.state.requestsSeenUpTo, ...fresh.map((r) => r.at));
  const state = seenUpTo === x.state.requestsSeenUpTo ? x.state : { ...x.state, requestsSeenUpTo: seenUpTo };
  const observation: Observation = {
    config,
    probes,
    instances,
    load,
    requests: {
      reports: fresh.flatMap((r) => (r.kind === 'report' ? [{ serverId: r.serverId, reason: r.reason, at: r.at }] : [])),
      replace: fresh.flatMap((r) => (r.kind === 'replace' && current(r) ? [r.serverId] : [])),
      // Every notice's request kept (the newest per server), not only fresh ones: a replacement that waits names its notice too.
      notices: Object.fromEntries(
        requests.flatMap((r) => (r.kind === 'replace' && 'instanceId' in r && current(r) ? [[r.serverId, r.deadline === undefined ? { reason: r.reason } : { reason: r.reason, deadline: r.deadline }]] : [])),
      ),
      forget: fresh.flatMap((r) => (r.kind === 'forget' ? [r.serverId] : [])),
    },
  };
  const sessions = wantsLeaderSessions(x.spec, state, observation, x.now) ? await leaderSessions(x, probes, hostOf) : undefined;
  return {
    observation: sessions ? { ...observation, sessions } : observation,
    state,
    session: read.session,
    sessionServer: read.server,
  };
}

/** One target per server id: the instance that may be serving (running before pending before the rest). */
function targetsOf(instances: readonly Instance[]): { serverId: ServerId; host: string }[] {
  const rank = (i: Instance): number => ['running', 'pending', 'impaired', 'stopping', 'stopped'].indexOf(i.state);
  const best = new Map<ServerId, Instance>();
  for (const i of instances) {
    if (i.state === 'terminated' || i.host === '') continue;
    const kept = best.get(i.serverId);
    if (!kept || rank(i) < rank(kept)) best.set(i.serverId, i);
  }
  return [...best.values()].map((i) => ({ serverId: i.serverId, host: i.host }));
}

interface ConfigRead {
  readonly config: ConfigObservation;
  readonly session: EnsembleSession | undefined;
  readonly server: ServerId | undefined;
}

/** The config from whichever serving server answers first; the other sessions are closed. */
async function readConfig(x: ObserveInputs, probes: readonly MemberProbe[], hostOf: ReadonlyMap<ServerId, string>): Promise<ConfigRead> {
  const serving = probes.filter((p) => p.result.status === 'serving');
  if (serving.length === 0) return { config: { readable: false, reason: 'no server answered as serving' }, session: undefined, server: undefined };
  // Followers first: the leader has the most to do, and a reconfig through a follower keeps its reply more often.
  const readers = [...serving].sort((a, b) => Number(isLeader(a)) - Number(isLeader(b))).slice(0, CONFIG_READERS);
  const attempts = readers.map(async (p) => {
    const session = await x.ports.ensemble.open(`${hostOf.get(p.serverId)}:${x.spec.zookeeper.clientPort}`);
    try {
      return { config: await session.readConfig(), session, server: p.serverId };
    } catch (err) {
      await session.close().catch(() => undefined); // the read's error is the one reported
      throw err;
    }
  });
  try {
    const winner = await Promise.any(attempts);
    for (const attempt of attempts) {
      void attempt
        .then((other) => (other.session === winner.session ? undefined : other.session.close()))
        .catch((err: unknown) => x.log.debug('a slower config read ended badly after the winner answered', { error: toControllerError(err) }));
    }
    return { config: { readable: true, config: winner.config }, session: winner.session, server: winner.server };
  } catch (err) {
    const errors = err instanceof AggregateError ? err.errors.map(toControllerError) : [toControllerError(err)];
    const reason = errors.map((e, i) => `server ${readers[i]?.serverId}: ${e.message}`).join('; ');
    x.log.warn('config unreadable', { reason });
    return { config: { readable: false, reason }, session: undefined, server: undefined };
  }
}

/** The live global sessions as the leader lists them; unreadable (and said why) rather than thrown:
 * the allocator then holds back only the ids that need them. */
async function leaderSessions(x: ObserveInputs, probes: readonly MemberProbe[], hostOf: ReadonlyMap<ServerId, string>): Promise<SessionsObservation> {
  const leader = probes.find(isLeader);
  const host = leader && hostOf.get(leader.serverId);
  if (!leader || !host) return { readable: false, reason: 'no leader answered its probe' };
  try {
    return { readable: true, leader: leader.serverId, sessionIds: await x.ports.probe.sessions({ serverId: leader.serverId, host }) };
  } catch (err) {
    const error = toControllerError(err);
    x.log.warn("the leader's session list is unreadable", { error });
    return { readable: false, reason: error.message };
  }
}

function isLeader(p: MemberProbe): boolean {
  return p.result.status === 'serving' && p.result.health.mode === 'leader';
}

function hasLoadTargets(spec: ClusterSpec): boolean {
  return Object.values(spec.load.targets).some((v) => v !== undefined);
}

/**
 * The member a reconfig (the only call that carries the super user's credentials) or a confirming
 * write goes through: a member of the committed config that the fleet runs at the address the
 * config names (its instance, of this deployment), whose probe there answered as serving under its
 * own id, and that the change leaves as it is; the session's own server if it qualifies, else a
 * follower before the leader.
 */
export function adminServerFor(config: EnsembleConfig, probes: readonly MemberProbe[], instances: readonly Instance[], untouched: (id: ServerId) => boolean, current: ServerId | undefined): ConfigMember | undefined {
  const serving = new Map(probes.filter((p) => p.result.status === 'serving').map((p) => [p.serverId, p]));
  const leader = (m: ConfigMember): boolean => isLeader(serving.get(m.serverId) as MemberProbe);
  const runs = (m: ConfigMember): boolean => instances.some((i) => i.serverId === m.serverId && i.host === m.clientHost && i.state === 'running');
  return config.members
    .filter((m) => serving.has(m.serverId) && runs(m) && untouched(m.serverId))
    .sort((a, b) => Number(a.serverId !== current) - Number(b.serverId !== current) || Number(leader(a)) - Number(leader(b)))[0];
}
