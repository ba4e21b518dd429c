import { describe, expect, it } from 'vitest';
import type { Operation } from '../../../lib/config/index.js';
import { think, type Instance } from '../../../lib/core/index.js';
import { instance, observe, stateFor, T0, testSpec } from '../../support/world.js';

// The operation state machine (plan.ts: startRemove, advance, reconfigure, launch, abandon), held to
// what its mutants showed no other test pinned (docs/mutation.md).

/** Voters 3 -> 5: the add of server 4 (asked in zone b) at `step` since T0, its instance listed as
 * `joiner`, thought 5 s later. */
function addingServer4(step: Operation['step'], joiner: Instance) {
  const five = testSpec({ voters: { desired: 5 } });
  const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'b', startedAt: T0, step, stepSince: T0, why: 'voters 3 -> 5' };
  const base = observe(five);
  const observed = { ...base, instances: [...base.instances, joiner] };
  return think(five, stateFor(five, observed, { operation: op }), observed, T0 + 5_000);
}

describe('the operation state machine', () => {
  it('starts a removal as an operation of its own: id remove-<server>-<start>, reconfiguring from now', () => {
    const three = testSpec();
    const observed = observe(three, { voters: [1, 2, 3, 4, 5], leader: 1 });
    const thought = think(three, stateFor(three, observed), observed, T0);
    const op = thought.state.operation;
    expect(op).toMatchObject({ kind: 'remove', startedAt: T0, step: 'reconfiguring', stepSince: T0 });
    expect(op?.id).toBe(`remove-${op?.serverId}-${T0.toString(36)}`);
  });

  it('waits for a joiner whose instance is still pending, instead of rolling it back', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'a', startedAt: T0, step: 'launching', stepSince: T0, why: 'voters 3 -> 5' };
    const base = observe(five);
    for (const state of ['pending', 'running'] as const) {
      const observed = { ...base, instances: [...base.instances, instance(4, state, 'a')] };
      const thought = think(five, stateFor(five, observed, { operation: op }), observed, T0 + 5_000);
      expect(thought.step).toEqual({ kind: 'wait', blockedBy: 'joiner-starting', why: 'voters 3 -> 5: server 4 is not synced yet (not probed)' });
      expect(thought.state.operation).toMatchObject({ id: 'add-4', step: 'syncing' });
    }
  });

  it('gives a removal up once no safe reconfig came for the operation timeout, and waits for the quorum', () => {
    const three = testSpec();
    const observed = observe(three, { voters: [1, 2, 3, 4, 5], down: [2, 3] }); // without 5: 2 of 4 voters synced
    const timeout = three.operationTimeoutSeconds * 1000;
    const op: Operation = { kind: 'remove', id: 'remove-5', serverId: 5, startedAt: T0, step: 'reconfiguring', stepSince: T0, why: 'voters 5 -> 3' };
    const waiting = think(three, stateFor(three, observed, { operation: op }), observed, T0 + timeout);
    expect(waiting.step).toMatchObject({ kind: 'wait', blockedBy: 'quorum-not-synced' });
    expect(waiting.state.operation).toMatchObject({ id: 'remove-5', step: 'reconfiguring', stepSince: T0 });
    const late = think(three, stateFor(three, observed, { operation: op }), observed, T0 + timeout + 1);
    expect(late.step).toEqual({ kind: 'wait', blockedBy: 'quorum-not-synced', why: `gave up removing server 5: no safe reconfig for ${three.operationTimeoutSeconds} s` });
    expect(late.state.operation).toBeUndefined();
  });

  it('stops a removed server once its removal committed, saying so', () => {
    const three = testSpec();
    const observed = { ...observe(three), instances: [1, 2, 3, 5].map((id) => instance(id)) };
    const op: Operation = { kind: 'remove', id: 'remove-5', serverId: 5, startedAt: T0, step: 'reconfiguring', stepSince: T0, why: 'voters 5 -> 3: remove voter 5' };
    const thought = think(three, stateFor(three, observed, { operation: op }), observed, T0 + 1_000);
    expect(thought.step).toEqual({ kind: 'terminate', serverId: 5, why: 'voters 5 -> 3: remove voter 5: its removal committed; stop it' });
    expect(thought.state.operation).toMatchObject({ id: 'remove-5', step: 'terminating', stepSince: T0 + 1_000 });
  });

  it('takes the replaced server out in a reconfig of its own when its successor is already a member', () => {
    const three = testSpec();
    // Server 4 got in (voters 1-4) while 2, the one it replaces, is still there and down.
    const observed = observe(three, { voters: [1, 2, 3, 4], down: [2] });
    const op: Operation = { kind: 'replace', id: 'replace-4', serverId: 4, replaces: 2, role: 'voter', zone: 'a', startedAt: T0, step: 'reconfiguring', stepSince: T0, why: 'replace voter 2' };
    const thought = think(three, stateFor(three, observed, { operation: op }), observed, T0 + 1_000);
    expect(thought.step).toMatchObject({ kind: 'reconfig', change: { kind: 'incremental', add: [], remove: [2], fromVersion: 0x100000000n } });
    expect(thought.step.why).toMatch(/^replace voter 2: server 4 is in; take 2 out: remove 2 from config 100000000; /);
    expect(thought.state.operation).toMatchObject({ id: 'replace-4', step: 'reconfiguring', stepSince: T0 });
  });

  it('stops the swapped-out server once its successor is in and it is out', () => {
    const three = testSpec();
    const base = observe(three, { voters: [1, 3, 4] });
    const observed = { ...base, instances: [...base.instances, instance(2, 'running', 'a')] };
    const op: Operation = { kind: 'replace', id: 'replace-4', serverId: 4, replaces: 2, role: 'voter', zone: 'a', startedAt: T0, step: 'reconfiguring', stepSince: T0, why: 'replace voter 2' };
    const thought = think(three, stateFor(three, observed, { operation: op }), observed, T0 + 1_000);
    expect(thought.step).toEqual({ kind: 'terminate', serverId: 2, why: 'replace voter 2: swapped out; stop it' });
    expect(thought.state.operation).toMatchObject({ id: 'replace-4', step: 'terminating', stepSince: T0 + 1_000 });
  });

  it('gives a joiner up when its own instance is terminated, its zone avoided, and not for another server\'s terminated instance', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'b', startedAt: T0, step: 'launching', stepSince: T0, why: 'voters 3 -> 5' };
    const base = observe(five);
    // Another server's terminated instance (EC2 still lists it): the launch of 4 is retried.
    const other = { ...base, instances: [...base.instances, instance(9, 'terminated', 'b')] };
    expect(think(five, stateFor(five, other, { operation: op, nextServerId: 10 }), other, T0 + 5_000).step).toMatchObject({ kind: 'launch', serverId: 4, zone: 'b', why: 'voters 3 -> 5: launch server 4 in b' });
    const own = { ...base, instances: [...base.instances, instance(4, 'terminated', 'b')] };
    const gone = think(five, stateFor(five, own, { operation: op }), own, T0 + 5_000);
    expect(gone.state.operation?.id).not.toBe('add-4');
    expect(gone.state.zonesAvoided).toEqual([{ zone: 'b', until: T0 + 5_000 + 30 * 60_000, why: 'server 4: its instance is terminated ...' }]); // clipped to its bound
    expect(gone.state.launchFailures).toMatchObject({ count: 1, faulty: 0, lastAt: T0 + 5_000 });
  });

  it('gives up a launch that did not start in time, and a joiner whose instance is gone, each saying which', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const timeout = five.operationTimeoutSeconds * 1000;
    const observed = observe(five);
    const launching: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'b', startedAt: T0, step: 'launching', stepSince: T0, why: 'voters 3 -> 5' };
    const retried = think(five, stateFor(five, observed, { operation: launching }), observed, T0 + timeout);
    expect(retried.step).toMatchObject({ kind: 'launch', serverId: 4 });
    const late = think(five, stateFor(five, observed, { operation: launching }), observed, T0 + timeout + 1);
    expect(late.state.zonesAvoided.map((z) => z.why)).toEqual(['server 4: it did not start in time']);
    expect(late.state.operation?.id).not.toBe('add-4');
    const syncing: Operation = { ...launching, step: 'syncing' };
    const gone = think(five, stateFor(five, observed, { operation: syncing }), observed, T0 + 1_000);
    expect(gone.state.zonesAvoided.map((z) => z.why)).toEqual(['server 4: its instance is gone before...']); // clipped to its bound
    expect(gone.state.operation?.id).not.toBe('add-4');
  });

  it('gives up a joiner whose instance stopped before it was added, avoiding its zone', () => {
    const thought = addingServer4('syncing', instance(4, 'stopped', 'b'));
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 4, bootLog: true });
    expect(thought.state.zonesAvoided.map((z) => z.zone)).toEqual(['b']);
    // The rollback is a removal of its own, already at its terminating step.
    expect(thought.state.operation).toMatchObject({ kind: 'remove', id: `remove-4-${(T0 + 5_000).toString(36)}`, step: 'terminating', stepSince: T0 + 5_000 });
  });

  it('follows a joiner the fleet lists in another zone than the operation asked, and avoids the one asked', () => {
    const thought = addingServer4('launching', instance(4, 'pending', 'c'));
    expect(thought.step).toMatchObject({ kind: 'wait', blockedBy: 'joiner-starting' });
    expect(thought.state.operation).toMatchObject({ id: 'add-4', zone: 'c' });
    expect(thought.state.zonesAvoided.map((z) => z.zone)).toEqual(['b']);
    expect(thought.state.launchFailures).toEqual({ count: 0, faulty: 0, lastAt: T0 + 5_000, template: '' });
  });

  it('rolls back a joiner that did not sync in time, avoiding its zone and counting it against the template', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'b', startedAt: T0, step: 'syncing', stepSince: T0, why: 'voters 3 -> 5' };
    const base = observe(five);
    const observed = { ...base, instances: [...base.instances, instance(4, 'running', 'b')] };
    const late = think(five, stateFor(five, observed, { operation: op }), observed, T0 + five.operationTimeoutSeconds * 1000 + 1);
    expect(late.step).toMatchObject({ kind: 'terminate', serverId: 4, bootLog: true });
    expect(late.state.zonesAvoided.map((z) => z.zone)).toEqual(['b']);
    expect(late.state.launchFailures).toMatchObject({ count: 1, faulty: 1 });
  });

  it('rolls back a synced joiner when no safe reconfig came for the operation timeout, and not a millisecond before', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const timeout = five.operationTimeoutSeconds * 1000;
    const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'a', startedAt: T0, step: 'reconfiguring', stepSince: T0, why: 'voters 3 -> 5' };
    const observed = observe(five, { joiners: [4] });
    expect(think(five, stateFor(five, observed, { operation: op }), observed, T0 + timeout).step.kind).toBe('reconfig');
    const late = think(five, stateFor(five, observed, { operation: op }), observed, T0 + timeout + 1);
    expect(late.step).toMatchObject({ kind: 'terminate', serverId: 4 });
    expect(late.step.why).toBe(`rolled back add of server 4: no safe reconfig for ${five.operationTimeoutSeconds} s: its removal committed; stop it`);
  });

  it('holds a reconfig back while any member or the joiner runs a ZooKeeper that may not take one', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'a', startedAt: T0, step: 'syncing', stepSince: T0, why: 'voters 3 -> 5' };
    const base = observe(five, { joiners: [4] });
    const observed = {
      ...base,
      probes: base.probes.map((p) => (p.serverId === 3 && p.result.status === 'serving' ? { ...p, result: { status: 'serving' as const, health: { ...p.result.health, version: '3.5.8' } } } : p)),
    };
    const thought = think(five, stateFor(five, observed, { operation: op }), observed, T0 + 1_000);
    expect(thought.step).toMatchObject({ kind: 'wait', blockedBy: 'unsafe-version' });
    expect(thought.step.why).toBe('voters 3 -> 5: add voter 4 from config 100000000 waits: server 3 runs ZooKeeper 3.5.8: reconfig needs 3.5.9+ / 3.6.2+');
  });

  it('records a rolled-back joiner as never served only if it was never seen synced (its id then comes back without a session list)', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const timeout = five.operationTimeoutSeconds * 1000;
    const base = observe(five);
    const at = T0 + timeout + 1;
    // Never synced: its launch never showed an instance in time.
    const launching: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'a', startedAt: T0, step: 'launching', stepSince: T0, why: 'voters 3 -> 5' };
    const never = think(five, stateFor(five, base, { operation: launching, nextServerId: 5 }), base, at);
    expect(never.state.retiredIds).toEqual([{ serverId: 4, since: at }]);
    // Seen synced (its reconfig was due), then its instance terminated: it may have served.
    const reconfiguring: Operation = { ...launching, step: 'reconfiguring' };
    const gone = { ...base, instances: [...base.instances, instance(4, 'terminated', 'a')] };
    const served = think(five, stateFor(five, gone, { operation: reconfiguring, nextServerId: 5 }), gone, at);
    // No never-served record: without one its id is judged as served (sessions read, a write past its removal).
    expect(served.state.retiredIds).toEqual([]);
  });

  it('counts launch failures per launch template: a failure under another template starts the count again', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const op: Operation = { kind: 'add', id: 'add-4', serverId: 4, role: 'voter', zone: 'a', startedAt: T0, step: 'syncing', stepSince: T0, why: 'voters 3 -> 5' };
    const base = observe(five);
    const observed = { ...base, instances: [...base.instances, instance(4, 'stopped', 'a')] };
    const other = { count: 2, faulty: 2, lastAt: T0 - 1, template: 'old' };
    const thought = think(five, stateFor(five, observed, { operation: op, launchFailures: other }), observed, T0 + 1_000);
    expect(thought.state.launchFailures).toEqual({ count: 1, faulty: 0, lastAt: T0 + 1_000, template: '' });
  });
});
