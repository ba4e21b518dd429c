import { describe, expect, it } from 'vitest';
import {
  applyChange,
  changeIsApplied,
  changeTouches,
  describeChange,
  hasQuorum,
  leaderOf,
  sameMembers,
  syncedIds,
  type ConfigMember,
  type MembershipChange,
} from '../../../lib/core/index.js';
import { config, down, member, notServing, serving, testSpec } from '../../support/world.js';

// A membership change as ZooKeeper applies it, and the quorum arithmetic every safety check rests
// on: how a lost reconfig reply is recognised as committed, and what counts as up and synced.

const spec = testSpec();
const three = config(spec, [1, 2, 3]);
const change = (add: ConfigMember[], remove: number[] = []): MembershipChange => ({ kind: 'incremental', add, remove, fromVersion: 0x10000000an });

describe('applyChange', () => {
  it('adds and removes in one call, sorted by id, and re-adds a member with its new role', () => {
    const swapped = applyChange(three.members, change([member(spec, 4)], [2]));
    expect(swapped.map((m) => `${m.serverId}:${m.role}`)).toEqual(['1:voter', '3:voter', '4:voter']);
    const withObserver = config(spec, [1, 2, 3], [5]);
    expect(applyChange(withObserver.members, change([member(spec, 5, 'voter')])).map((m) => `${m.serverId}:${m.role}`)).toEqual(['1:voter', '2:voter', '3:voter', '5:voter']);
  });

  it('takes a whole new member list as it is, sorted', () => {
    const replace: MembershipChange = { kind: 'replace', members: [member(spec, 7), member(spec, 2)], fromVersion: 1n };
    expect(applyChange(three.members, replace).map((m) => m.serverId)).toEqual([2, 7]);
  });
});

describe('changeTouches: the members a reconfig must not be sent through', () => {
  it('touches the members it removes and the ones it adds or re-roles, and no other; a whole new list touches all', () => {
    const promote = change([{ ...member(spec, 3), role: 'observer' }, member(spec, 5)], [2]);
    expect([1, 2, 3, 4, 5, 6].filter((id) => changeTouches(promote, id))).toEqual([2, 3, 5]);
    expect([1, 2, 3].filter((id) => changeTouches(change([], [1]), id))).toEqual([1]);
    expect([1, 2, 3].filter((id) => changeTouches({ kind: 'replace', members: three.members, fromVersion: 1n }, id))).toEqual([1, 2, 3]);
  });
});

describe('changeIsApplied: a lost reply told apart from a lost change', () => {
  it('is true only when the config holds exactly what the change asked', () => {
    const asked = change([member(spec, 4)], [2]);
    expect(changeIsApplied(three.members, asked, config(spec, [1, 3, 4]))).toBe(true);
    expect(changeIsApplied(three.members, asked, three)).toBe(false);
    expect(changeIsApplied(three.members, asked, config(spec, [1, 2, 3, 4]))).toBe(false);
    expect(changeIsApplied(three.members, asked, config(spec, [1, 3], [4]))).toBe(false);
  });

  it('compares every field of a member line, in any order', () => {
    const base = member(spec, 1);
    expect(sameMembers([member(spec, 2), base], [base, member(spec, 2)])).toBe(true);
    expect(sameMembers([base], [base, member(spec, 2)])).toBe(false);
    expect(sameMembers([base, member(spec, 2)], [base])).toBe(false);
    for (const other of [
      { ...base, serverId: 9 },
      { ...base, role: 'observer' as const },
      { ...base, host: '10.9.9.9' },
      { ...base, quorumPort: 2889 },
      { ...base, electionPort: 3889 },
      { ...base, clientHost: '0.0.0.0' },
      { ...base, clientPort: 2182 },
    ]) {
      expect(sameMembers([base], [other]), JSON.stringify(other)).toBe(false);
    }
  });
});

describe('describeChange', () => {
  it('says what goes in and out, and from which config version', () => {
    expect(describeChange(change([member(spec, 4), member(spec, 5, 'observer')], [2]))).toBe('add voter 4, add observer 5, remove 2 from config 10000000a');
    expect(describeChange(change([]))).toBe('no change from config 10000000a');
    expect(describeChange({ kind: 'replace', members: [member(spec, 1), member(spec, 6, 'observer')], fromVersion: 1n })).toBe('new members 1:voter,6:observer');
  });
});

describe('quorum arithmetic', () => {
  it('needs more than half of the voters, counts only voters, and none of an empty set', () => {
    const voters = new Set([1, 2, 3, 4]);
    expect(hasQuorum(voters, [1, 2, 3])).toBe(true);
    expect(hasQuorum(voters, [1, 2])).toBe(false);
    expect(hasQuorum(voters, [1, 2, 7, 8, 9])).toBe(false);
    expect(hasQuorum(voters, [1, 1, 2])).toBe(false);
    expect(hasQuorum(new Set([1]), [1])).toBe(true);
    expect(hasQuorum(new Set(), [1, 2])).toBe(false);
  });

  it('counts as synced only members that serve as leader, follower or observer', () => {
    const probes = [
      serving(1, 'leader'),
      serving(2, 'follower'),
      serving(3, 'observer'),
      serving(4, 'standalone'),
      serving(5, 'read-only'),
      notServing(6),
      down(7),
    ];
    expect([...syncedIds(probes)].sort()).toEqual([1, 2, 3]);
  });

  it('names the leader only when exactly one serving member says it leads', () => {
    expect(leaderOf([serving(1, 'follower'), serving(2, 'leader')])).toBe(2);
    expect(leaderOf([serving(1, 'leader'), serving(2, 'leader')])).toBeUndefined();
    expect(leaderOf([serving(1, 'follower'), notServing(2)])).toBeUndefined();
  });
});
