import { describe, expect, it } from 'vitest';
import { think, type Observation } from '../../../lib/core/index.js';
import type { ControllerState } from '../../../lib/config/index.js';
import { config, instance, notServing, observe, serving, stateFor, T0, testSpec } from '../../support/world.js';

// The planner's table: one situation per row, the step it must choose and the sentence it gives.

const spec = testSpec();
const failedHealth = (id: number) => ({ serverId: id, misses: 5, missingSince: T0 - 60_000, lastMiss: 'no answer (refused)', slowTicks: 0 });

describe('plan: the next safe step', () => {
  it('rests when the ensemble is what the spec asks for', () => {
    const observed = observe(spec);
    const thought = think(spec, stateFor(spec, observed), observed, T0);
    expect(thought.step).toEqual({ kind: 'none', why: 'steady: voters stay at 3; observers stay at 0: spec asks for 0 (bounds 0..10)' });
  });

  it('writes nothing on a steady tick: the next state equals the state', () => {
    const observed = observe(spec);
    const state = stateFor(spec, observed);
    expect(think(spec, state, observed, T0).state).toEqual(state);
  });

  it('launches a replacement with a NEW id when a voter has failed, recording the operation first', () => {
    const observed = observe(spec, { down: [2] });
    const state = stateFor(spec, observed, { health: [failedHealth(2)] });
    const thought = think(spec, state, observed, T0);
    expect(thought.step).toMatchObject({ kind: 'launch', serverId: 4, role: 'voter', operationId: `replace-4-${T0.toString(36)}` });
    expect(thought.step.why).toMatch(/^replace voter 2: missed 6 probes in a row over 60 s \(failed at 3 and 15 s\); last: no answer \(refused\): launch server 4 in /);
    expect(thought.state.operation).toMatchObject({ kind: 'replace', serverId: 4, replaces: 2, step: 'launching' });
    expect(thought.state.nextServerId).toBe(5);
  });

  it('swaps the failed voter for the synced joiner in ONE reconfig', () => {
    const observed = observe(spec, { down: [2], joiners: [4] });
    const state = stateFor(spec, observed, {
      health: [failedHealth(2)],
      operation: { kind: 'replace', id: 'replace-4', serverId: 4, replaces: 2, role: 'voter', zone: 'b', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'replace voter 2' },
    });
    const thought = think(spec, state, observed, T0);
    expect(thought.step).toMatchObject({ kind: 'reconfig', change: { kind: 'incremental', remove: [2], fromVersion: 0x100000000n } });
    if (thought.step.kind !== 'reconfig' || thought.step.change.kind !== 'incremental') throw new Error('reconfig expected');
    expect(thought.step.change.add.map((m) => [m.serverId, m.role])).toEqual([[4, 'voter']]);
    expect(thought.step.why).toBe('replace voter 2: add voter 4, remove 2 from config 100000000; old voters 2/3 synced, new 3/3');
  });

  it('stops the swapped-out server only once the config no longer has it, then forgets it', () => {
    const op = { kind: 'replace' as const, id: 'replace-4', serverId: 4, replaces: 2, role: 'voter' as const, zone: 'b', startedAt: T0 - 5000, step: 'reconfiguring' as const, stepSince: T0 - 1000, why: 'replace voter 2' };
    const zones: Record<number, string> = { 1: 'a', 2: 'b', 3: 'c', 4: 'b' };
    const observed: Observation = { ...observe(spec, { voters: [1, 3, 4] }), instances: [1, 2, 3, 4].map((id) => instance(id, 'running', zones[id])) };
    const state = stateFor(spec, observed, { operation: op });
    const terminate = think(spec, state, observed, T0);
    expect(terminate.step).toEqual({ kind: 'terminate', serverId: 2, why: 'replace voter 2: swapped out; stop it' });

    const after = { ...observed, instances: [1, 3, 4].map((id) => instance(id, 'running', zones[id])) };
    const done = think(spec, terminate.state, after, T0 + 1000);
    expect(done.step.kind).toBe('none');
    expect(done.state.operation).toBeUndefined();
    expect(done.state.health.map((h) => h.serverId)).not.toContain(2);
  });

  it('waits for a joiner that is not synced yet, and rolls it back after the operation timeout', () => {
    const op = { kind: 'add' as const, id: 'add-4', serverId: 4, role: 'voter' as const, zone: 'a', startedAt: T0, step: 'syncing' as const, stepSince: T0, why: 'voters 3 -> 5' };
    const observed: Observation = { ...observe(spec), probes: [...observe(spec).probes, notServing(4)], instances: [1, 2, 3, 4].map((id) => instance(id)) };
    const bigger = testSpec({ voters: { desired: 5 } });
    const waiting = think(bigger, stateFor(bigger, observed, { operation: op }), observed, T0 + 1000);
    expect(waiting.step).toEqual({ kind: 'wait', blockedBy: 'joiner-syncing', why: 'voters 3 -> 5: server 4 is not synced yet (not-serving)' });

    const late = think(bigger, stateFor(bigger, observed, { operation: op }), observed, T0 + 601_000);
    expect(late.step).toEqual({ kind: 'terminate', serverId: 4, why: 'rolled back add of server 4: it did not sync within 600 s: stop it', bootLog: true });
    expect(late.state.operation).toMatchObject({ kind: 'remove', serverId: 4 });
  });

  it('keeps the never-served record of a joiner rolled back before it synced while its instance is stopped', () => {
    const op = { kind: 'add' as const, id: 'add-4', serverId: 4, role: 'voter' as const, zone: 'a', startedAt: T0, step: 'syncing' as const, stepSince: T0, why: 'voters 3 -> 5' };
    const observed: Observation = { ...observe(spec), probes: [...observe(spec).probes, notServing(4)], instances: [1, 2, 3, 4].map((id) => instance(id)) };
    const bigger = testSpec({ voters: { desired: 5 } });
    const late = think(bigger, stateFor(bigger, observed, { operation: op }), observed, T0 + 601_000);
    expect(late.state.operation).toMatchObject({ kind: 'remove', serverId: 4 });
    expect(late.state.retiredIds).toEqual([{ serverId: 4, since: T0 + 601_000 }]);
  });

  it('sends the next servers to another zone for 30 min once a joiner there did not start in time, and says why', () => {
    const bigger = testSpec({ voters: { desired: 5 } });
    const observed: Observation = { ...observe(bigger), instances: [instance(1, 'running', 'a'), instance(2, 'running', 'b'), instance(3, 'running', 'c')] };
    const op = { kind: 'add' as const, id: 'add-4', serverId: 4, role: 'voter' as const, zone: 'a', startedAt: T0, step: 'launching' as const, stepSince: T0, why: 'voters 3 -> 5' };
    const late = think(bigger, stateFor(bigger, observed, { operation: op, nextServerId: 5 }), observed, T0 + 601_000);
    expect(late.state.zonesAvoided).toEqual([{ zone: 'a', until: T0 + 601_000 + 30 * 60_000, why: 'server 4: it did not start in time' }]);
    expect(late.step).toMatchObject({ kind: 'wait', blockedBy: 'launch-backoff' });
    // Server 4 never served (it never started): its id comes back once a late listing would have shown it.
    const retry = think(bigger, late.state, observed, T0 + 601_000 + 61_000);
    expect(retry.step).toMatchObject({ kind: 'launch', serverId: 5, operationId: `add-5-${(T0 + 662_000).toString(36)}` });
    expect(retry.step.kind === 'launch' && retry.step.zone).not.toBe('a');
    expect(retry.step.why).toMatch(/launch server 5 in [bc] \(zone a skipped for another 29 min: server 4: it did not start in time\) as a voter-to-be$/);

    // Once the 30 min are over, zone a is a candidate again; while every zone is avoided, none is skipped.
    const { launchFailures: _failures, ...rested } = late.state;
    const later = { ...rested, operation: undefined, nextServerId: 6 };
    expect(think(bigger, later, observed, T0 + 601_000 + 31 * 60_000).step.why).not.toMatch(/skipped/);
    const allAvoided = { ...later, zonesAvoided: ['a', 'b', 'c'].map((zone) => ({ zone, until: T0 + 3_600_000, why: 'outage' })) };
    expect(think(bigger, allAvoided, observed, T0 + 700_000).step).toMatchObject({ kind: 'launch', serverId: 6 });
    expect(think(bigger, allAvoided, observed, T0 + 700_000).step.why).not.toMatch(/skipped/);
  });

  it('grows voters one at a time, each a synced non-voting follower before one reconfig adds it', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const observed = observe(five);
    const launch = think(five, stateFor(five, observed), observed, T0);
    expect(launch.step).toMatchObject({ kind: 'launch', serverId: 4, role: 'voter' });
    expect(launch.step.why).toMatch(/^voters 3 -> 5: spec asks for 5 \(bounds 3\.\.7\): launch server 4 in [abc] as a voter-to-be$/);

    const synced = observe(five, { joiners: [4] });
    const add = think(five, launch.state, synced, T0 + 2000);
    expect(add.step.kind).toBe('reconfig');
    expect(add.step.why).toMatch(/add voter 4 from config 100000000; old voters 3\/3 synced, new 4\/4$/);
  });

  it('shrinks voters by removing a follower, never the leader while another will do', () => {
    const three = testSpec();
    const observed = observe(three, { voters: [1, 2, 3, 4, 5], leader: 2 });
    const thought = think(three, stateFor(three, observed), observed, T0);
    expect(thought.step.kind).toBe('reconfig');
    if (thought.step.kind !== 'reconfig' || thought.step.change.kind !== 'incremental') throw new Error('reconfig expected');
    expect(thought.step.change.remove).toHaveLength(1);
    expect(thought.step.change.remove).not.toContain(2);
    expect(thought.state.operation).toMatchObject({ kind: 'remove' });
  });

  it('removes rather than replaces a failed voter that scale-in would take anyway', () => {
    const observed = observe(spec, { voters: [1, 2, 3, 4, 5], down: [4] });
    const thought = think(spec, stateFor(spec, observed, { health: [failedHealth(4)] }), observed, T0);
    expect(thought.step.kind).toBe('reconfig');
    expect(thought.step.why).toMatch(/^replace voter 4: .*so it is removed, not replaced: remove 4 from config/);
  });

  it('stops a server that runs outside the config', () => {
    const observed: Observation = { ...observe(spec), instances: [1, 2, 3, 9].map((id) => instance(id)) };
    expect(think(spec, stateFor(spec, observed), observed, T0).step).toEqual({ kind: 'terminate', serverId: 9, why: 'server 9 (i-9) runs outside the config: stop it' });
  });

  it('reuses the lowest retired id only once the leader lists no session of it, and says what holds each id back', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const observed = observe(five, { voters: [1, 2, 7], leader: 1 });
    const state: ControllerState = { ...stateFor(five, observed), nextServerId: 8 };
    // Without the leader's sessions, 3..6 (used before) are passed over: a never-used id, 8.
    expect(think(five, state, observed, T0).step).toMatchObject({ kind: 'launch', serverId: 8 });
    const session = (id: number): bigint => (BigInt(id) << 56n) | (0x2d0n << 16n);
    const sessions = { readable: true as const, leader: 1, sessionIds: [session(3), session(4)] };
    expect(think(five, state, { ...observed, sessions }, T0).step).toMatchObject({ kind: 'launch', serverId: 5 });
    const full = { ...state, nextServerId: 255 };
    const busy = { readable: true as const, leader: 1, sessionIds: Array.from({ length: 254 }, (_, i) => session(i + 1)) };
    const exhausted = think(five, full, { ...observed, sessions: busy }, T0);
    expect(exhausted.step).toMatchObject({ kind: 'wait', blockedBy: 'server-ids-exhausted' });
    expect(exhausted.step.why).toMatch(/but no server id of 1\.\.254 may be handed out: 1, 2, 7 in the config; 3-6, 8-254 have live sessions of their predecessors \(e\.g\. 0x300000002d00000\)$/);
    const unread = think(five, full, observed, T0);
    expect(unread.step).toMatchObject({ kind: 'wait', blockedBy: 'leader-sessions-unread' });
  });

  it('gives a joiner rolled back before it synced its id back once its instance is gone, without sessions', () => {
    const four = testSpec({ voters: { desired: 3 }, observers: { desired: 1 } });
    const observed = observe(four);
    const state: ControllerState = { ...stateFor(four, observed), nextServerId: 5, retiredIds: [{ serverId: 4, since: T0 - 600_000 }] };
    expect(think(four, state, observed, T0).step).toMatchObject({ kind: 'launch', serverId: 4 });
    const stillThere = { ...observed, instances: [...observed.instances, instance(4, 'terminated'), instance(4, 'stopped')] };
    expect(think(four, { ...state, operation: { kind: 'remove', id: 'remove-4-x', serverId: 4, startedAt: T0, step: 'terminating', stepSince: T0, why: 'rolled back', joinFailed: true } }, stillThere, T0).step).toMatchObject({ kind: 'terminate', serverId: 4 });
    expect(think(four, { ...state, retiredIds: [{ serverId: 4, since: T0 - 599_999 }] }, observed, T0).step).toMatchObject({ kind: 'launch', serverId: 5 });
  });

  it.each([
    ['the config cannot be read', { ...observe(spec, { down: [2] }), config: { readable: false as const, reason: 'connection refused' } }, 'config-unreadable', 'config unreadable (connection refused): nothing changes until it reads'],
    ['no quorum serves', observe(spec, { down: [2, 3] }), 'no-quorum', 'no quorum: 1 of 3 voters serving; nothing changes (recovery is an operator action)'],
  ] as const)('does nothing destructive when %s', (_, observed, blockedBy, why) => {
    const state = stateFor(spec, observed, { health: [failedHealth(2), failedHealth(3)] });
    expect(think(spec, state, observed, T0).step).toEqual({ kind: 'wait', blockedBy, why });
  });

  it('observes only while paused', () => {
    const paused = testSpec({ paused: true });
    const observed = observe(paused, { down: [2] });
    expect(think(paused, stateFor(paused, observed, { health: [failedHealth(2)] }), observed, T0).step).toEqual({ kind: 'wait', blockedBy: 'paused', why: 'paused by the operator: observing only' });
  });

  it('refuses to reconfig while a member runs a ZooKeeper with known reconfig bugs', () => {
    const observed = observe(spec, { voters: [1, 2, 3] });
    const old: Observation = { ...observed, probes: [...observed.probes.slice(0, 2), serving(3, 'follower', { version: '3.5.8-1' })] };
    expect(think(testSpec({ voters: { desired: 5 } }), stateFor(spec, old), old, T0).step).toEqual({ kind: 'wait', blockedBy: 'unsafe-version', why: 'server 3 runs ZooKeeper 3.5.8-1: reconfig needs 3.5.9+ / 3.6.2+' });
  });

  it('waits rather than remove a voter when the new voter set would have no synced quorum', () => {
    // 5 voters with 4 and 5 down: removing 3 would leave {1,2,4,5}, of which only 2 are synced.
    const three = testSpec();
    const observed = observe(three, { voters: [1, 2, 3, 4, 5], down: [4, 5] });
    const op = { kind: 'remove' as const, id: 'remove-3', serverId: 3, startedAt: T0, step: 'reconfiguring' as const, stepSince: T0, why: 'voters 5 -> 3' };
    const thought = think(three, stateFor(three, observed, { operation: op }), observed, T0 + 1000);
    expect(thought.step).toEqual({
      kind: 'wait',
      blockedBy: 'quorum-not-synced',
      why: 'voters 5 -> 3: remove 3 from config 100000000 waits: no synced quorum of the new voters: old voters 3/5 synced, new 2/4',
    });
  });

  it('uses the config version it read as the reconfig guard', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const observed = observe(five, { joiners: [4], version: 0x20000001an });
    const op = { kind: 'add' as const, id: 'add-4', serverId: 4, role: 'voter' as const, zone: 'a', startedAt: T0, step: 'syncing' as const, stepSince: T0, why: 'voters 3 -> 5' };
    const thought = think(five, stateFor(five, observed, { operation: op }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'reconfig', change: { fromVersion: 0x20000001an } });
  });

  it('plans the same step from the same inputs (a dry run is the tick)', () => {
    const observed = observe(spec, { down: [2] });
    const state = stateFor(spec, observed, { health: [failedHealth(2)] });
    expect(think(spec, state, observed, T0)).toEqual(think(spec, state, observed, T0));
    expect(config(spec, [1]).members).toHaveLength(1);
  });
});
