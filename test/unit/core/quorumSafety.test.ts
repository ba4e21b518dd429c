import { describe, expect, it } from 'vitest';
import { reconfigSafety, type MembershipChange, type ServerId } from '../../../lib/core/index.js';
import { config, member, testSpec } from '../../support/world.js';

// reconfigSafety is the last line of defence: the planner checks the same things first, so these
// tests call it directly with changes the planner would never produce. Each refusal names its
// reason, so a check that stopped refusing (or refused for another reason) fails here.

const spec = testSpec();
const three = config(spec, [1, 2, 3]);
const five = config(spec, [1, 2, 3, 4, 5]);
const add = (ids: readonly ServerId[], remove: readonly ServerId[] = [], role: 'voter' | 'observer' = 'voter'): MembershipChange => ({
  kind: 'incremental',
  add: ids.map((id) => member(spec, id, role)),
  remove,
  fromVersion: 0x100000000n,
});
const synced = (...ids: ServerId[]): ReadonlySet<ServerId> => new Set(ids);

describe('reconfigSafety: the checks ZooKeeper does not make', () => {
  it('allows one synced joiner in for one voter out while both quorums are synced, and says with what numbers', () => {
    expect(reconfigSafety(three, add([4], [2]), synced(1, 3, 4))).toEqual({ safe: true, why: 'old voters 2/3 synced, new 3/3' });
  });

  it('refuses two voters in at once, even when every one of them is synced', () => {
    expect(reconfigSafety(three, add([4, 5]), synced(1, 2, 3, 4, 5))).toEqual({ safe: false, why: '2 voters in and 0 out in one change; one of each at most' });
  });

  it('refuses two voters out at once (5 -> 3 in one call), even with every voter synced', () => {
    expect(reconfigSafety(five, add([], [4, 5]), synced(1, 2, 3, 4, 5))).toEqual({ safe: false, why: '0 voters in and 2 out in one change; one of each at most' });
  });

  it('counts voters moved by a whole new member list as well: 3 -> 1 in one replace is refused', () => {
    const change: MembershipChange = { kind: 'replace', members: [member(spec, 1)], fromVersion: 0x100000000n };
    expect(reconfigSafety(three, change, synced(1, 2, 3))).toEqual({ safe: false, why: '0 voters in and 2 out in one change; one of each at most' });
  });

  it('refuses a change that leaves no voter', () => {
    const one = config(spec, [1]);
    expect(reconfigSafety(one, add([], [1]), synced(1))).toEqual({ safe: false, why: 'the change leaves no voter' });
  });

  it('refuses to add a joiner that is not synced, voter or observer', () => {
    expect(reconfigSafety(three, add([4]), synced(1, 2, 3))).toEqual({ safe: false, why: 'joiner 4 is not synced yet; old voters 3/3 synced, new 3/4' });
    expect(reconfigSafety(three, add([7], [], 'observer'), synced(1, 2, 3))).toEqual({ safe: false, why: 'joiner 7 is not synced yet; old voters 3/3 synced, new 3/3' });
  });

  it('does not count a member that changes role as a joiner: an observer promoted while synced is allowed', () => {
    const withObserver = config(spec, [1, 2, 3], [4]);
    expect(reconfigSafety(withObserver, add([4]), synced(1, 2, 3, 4))).toEqual({ safe: true, why: 'old voters 3/3 synced, new 4/4' });
  });

  it('refuses when the old voters have no synced quorum, although the new voters would', () => {
    // Swap 3 for 4: the new voters {1,2,4} have 1 and 4 synced, the old {1,2,3} only 1.
    expect(reconfigSafety(three, add([4], [3]), synced(1, 4))).toEqual({ safe: false, why: 'no synced quorum of the old voters: old voters 1/3 synced, new 2/3' });
  });

  it('refuses when the new voters have no synced quorum, although the old voters do', () => {
    // 3 -> 4 voters: 1 and 2 synced are a quorum of the old three, not of the new four (needs 3).
    const withJoiner = reconfigSafety(three, add([4]), synced(1, 2, 4));
    expect(withJoiner).toEqual({ safe: true, why: 'old voters 2/3 synced, new 3/4' });
    expect(reconfigSafety(five, add([], [1]), synced(1, 2, 3))).toEqual({ safe: false, why: 'no synced quorum of the new voters: old voters 3/5 synced, new 2/4' });
  });

  it('counts an exact half as no quorum (2 of 4 voters)', () => {
    const four = config(spec, [1, 2, 3, 4]);
    expect(reconfigSafety(four, add([5], [4]), synced(1, 2, 5))).toEqual({ safe: false, why: 'no synced quorum of the old voters: old voters 2/4 synced, new 3/4' });
  });

  it('ignores synced servers that are not voters when counting a quorum', () => {
    // Observers 6 and 7 are synced, but they do not vote: 1 of 3 old voters is no quorum.
    const withObservers = config(spec, [1, 2, 3], [6, 7]);
    expect(reconfigSafety(withObservers, add([], [7]), synced(1, 6, 7))).toEqual({ safe: false, why: 'no synced quorum of the old voters: old voters 1/3 synced, new 1/3' });
  });
});
