import type { MembershipChange } from './membershipChange.js';
import { applyChange } from './membershipChange.js';
import type { EnsembleConfig, ServerId } from './model.js';
import { hasQuorum, voterIds } from './quorum.js';

// The checks ZooKeeper does not make (it only asks that a majority of the NEW voters is synced):
// a quorum of the old voters AND of the new voters up and synced, every added member synced,
// and at most one voter in and one voter out per change.

export type SafetyVerdict = { readonly safe: true; readonly why: string } | { readonly safe: false; readonly why: string };

export function reconfigSafety(config: EnsembleConfig, change: MembershipChange, synced: ReadonlySet<ServerId>): SafetyVerdict {
  const oldVoters = voterIds(config.members);
  const after = applyChange(config.members, change);
  const newVoters = voterIds(after);
  const count = (voters: ReadonlySet<ServerId>): string => `${[...voters].filter((id) => synced.has(id)).length}/${voters.size}`;
  const numbers = `old voters ${count(oldVoters)} synced, new ${count(newVoters)}`;
  const addedVoters = [...newVoters].filter((id) => !oldVoters.has(id));
  const removedVoters = [...oldVoters].filter((id) => !newVoters.has(id));
  if (addedVoters.length > 1 || removedVoters.length > 1) {
    return { safe: false, why: `${addedVoters.length} voters in and ${removedVoters.length} out in one change; one of each at most` };
  }
  if (newVoters.size === 0) return { safe: false, why: 'the change leaves no voter' };
  const unsynced = after.filter((m) => !config.members.some((c) => c.serverId === m.serverId) && !synced.has(m.serverId));
  if (unsynced.length > 0) return { safe: false, why: `joiner ${unsynced.map((m) => m.serverId).join(',')} is not synced yet; ${numbers}` };
  if (!hasQuorum(oldVoters, synced)) return { safe: false, why: `no synced quorum of the old voters: ${numbers}` };
  if (!hasQuorum(newVoters, synced)) return { safe: false, why: `no synced quorum of the new voters: ${numbers}` };
  return { safe: true, why: numbers };
}
