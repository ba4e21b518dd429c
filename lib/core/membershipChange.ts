import type { ConfigMember, EnsembleConfig, ServerId } from './model.js';

// A membership change as ZooKeeper's reconfig takes it: incremental (add and/or remove; both at
// once swap a failed voter for a synced joiner in one step) or a whole new member list. Always
// guarded by the config version it was planned from.

export type MembershipChange =
  | {
      readonly kind: 'incremental';
      /** Members to add, or to re-add with another role (an observer promoted to voter). */
      readonly add: readonly ConfigMember[];
      readonly remove: readonly ServerId[];
      readonly fromVersion: bigint;
    }
  | { readonly kind: 'replace'; readonly members: readonly ConfigMember[]; readonly fromVersion: bigint };

/** The members the change asks for, applied to `members`. */
export function applyChange(members: readonly ConfigMember[], change: MembershipChange): ConfigMember[] {
  if (change.kind === 'replace') return sortMembers(change.members);
  const removed = new Set(change.remove);
  const added = new Map(change.add.map((m) => [m.serverId, m]));
  const kept = members.filter((m) => !removed.has(m.serverId) && !added.has(m.serverId));
  return sortMembers([...kept, ...added.values()]);
}

/** Whether `change` adds, removes or re-roles server `id`; a whole new member list touches every
 * member. A reconfig goes through a member it leaves alone, so the reply comes from one that stays. */
export function changeTouches(change: MembershipChange, id: ServerId): boolean {
  return change.kind === 'incremental' ? change.remove.includes(id) || change.add.some((m) => m.serverId === id) : true;
}

/** True when `config` holds exactly what `change` asked of `before`: how a reconfig whose reply was
 * lost is recognised as committed. */
export function changeIsApplied(before: readonly ConfigMember[], change: MembershipChange, config: EnsembleConfig): boolean {
  return sameMembers(applyChange(before, change), config.members);
}

export function sameMembers(a: readonly ConfigMember[], b: readonly ConfigMember[]): boolean {
  const key = (m: ConfigMember): string =>
    `${m.serverId}|${m.role}|${m.host}|${m.quorumPort}|${m.electionPort}|${m.clientHost}|${m.clientPort}`;
  const left = sortMembers(a).map(key);
  const right = sortMembers(b).map(key);
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

export function describeChange(change: MembershipChange): string {
  if (change.kind === 'replace') return `new members ${change.members.map((m) => `${m.serverId}:${m.role}`).join(',')}`;
  const parts = [
    ...change.add.map((m) => `add ${m.role} ${m.serverId}`),
    ...change.remove.map((id) => `remove ${id}`),
  ];
  return `${parts.join(', ') || 'no change'} from config ${change.fromVersion.toString(16)}`;
}

function sortMembers(members: readonly ConfigMember[]): ConfigMember[] {
  return [...members].sort((x, y) => x.serverId - y.serverId);
}
