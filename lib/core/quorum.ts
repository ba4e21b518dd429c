import type { MemberProbe } from './health.js';
import type { ConfigMember, ServerId } from './model.js';

// Quorum arithmetic: a set of voters has a quorum in `ids` when more than half of the voters are
// among them. Filters for itself, as ZooKeeper's QuorumMaj expects voters only.

export function hasQuorum(voters: ReadonlySet<ServerId>, ids: Iterable<ServerId>): boolean {
  const counted = new Set([...ids].filter((id) => voters.has(id)));
  return voters.size > 0 && counted.size > Math.floor(voters.size / 2);
}

export function voterIds(members: readonly ConfigMember[]): Set<ServerId> {
  return new Set(members.filter((m) => m.role === 'voter').map((m) => m.serverId));
}

/** Members that serve and follow the leader (or lead): what "up and synced" means for a quorum. */
export function syncedIds(probes: readonly MemberProbe[]): Set<ServerId> {
  return new Set(
    probes
      .filter((p) => p.result.status === 'serving' && ['leader', 'follower', 'observer'].includes(p.result.health.mode))
      .map((p) => p.serverId),
  );
}

/** The one member that says it leads, if exactly one does. */
export function leaderOf(probes: readonly MemberProbe[]): ServerId | undefined {
  const leaders = probes.filter((p) => p.result.status === 'serving' && p.result.health.mode === 'leader');
  return leaders.length === 1 ? leaders[0]?.serverId : undefined;
}
