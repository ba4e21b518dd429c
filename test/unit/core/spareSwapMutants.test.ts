import { describe, expect, it } from 'vitest';
import { decide, detect, plan, think, type Observation, type Plan } from '../../../lib/core/index.js';
import type { ClusterSpec, ControllerState, Operation } from '../../../lib/config/index.js';
import { down, instance, instanceIs, notServing, observe, reconfigOf, stateFor, T0, testSpec } from '../../support/world.js';

// The hot spare swap (plan.ts: plan, swapInSpare, spareFor), held to what its mutants showed no
// other test pinned (docs/mutation.md). The world builder puts server id N in zone a/b/c by N % 3
// (1: b, 2: c, 3: a, 4: b, 5: c, 6: a, 7: b, 8: c).

const spec = testSpec({ hotSpares: 1 });

/** Voter `failed` seen with its instance stopped, `spares` running and synced outside the config. */
function failing(s: ClusterSpec, failed: number, spares: readonly number[], o: Parameters<typeof observe>[1] = {}): Observation {
  return instanceIs(observe(s, { joiners: spares, down: [failed], ...o }), failed, 'stopped');
}

/** The planner alone, on what detect and decide make of the observation. */
function planned(s: ClusterSpec, state: ControllerState, observed: Observation): Plan {
  const detection = detect(s, state, observed, T0);
  return plan(s, state, observed, detection, decide(s, state, observed, detection, T0), T0);
}

describe('the hot spare swap', () => {
  it('hands back the very state it was given when a tick changes nothing, spares or none', () => {
    for (const [s, spares] of [[spec, [4]], [testSpec(), []]] as const) {
      const observed = observe(s, { joiners: spares });
      const state = stateFor(s, observed, { spares: [...spares] });
      const steady = planned(s, state, observed);
      expect(steady.step.kind).toBe('none');
      expect(steady.state).toBe(state);
    }
  });

  it('swaps no spare in for a failed observer: a new observer is launched and the spare stays one', () => {
    const withObserver = testSpec({ hotSpares: 1, observers: { desired: 1 } });
    const observed = failing(withObserver, 5, [4], { observers: [5] });
    const thought = think(withObserver, stateFor(withObserver, observed, { spares: [4] }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'launch', role: 'observer', serverId: 6 });
    expect(thought.state.operation).toMatchObject({ kind: 'replace', replaces: 5, role: 'observer' });
    expect(thought.state.spares).toEqual([4]);
  });

  it('swaps no spare in for a voter that is only outdated: the rolling update launches its successor', () => {
    const templated = testSpec({ hotSpares: 1, launchTemplate: { id: 'lt-1', version: '7' } });
    const base = observe(templated, { joiners: [4] });
    const observed: Observation = { ...base, instances: base.instances.map((i) => ({ ...i, launchTemplateVersion: i.serverId === 3 ? '6' : '7' })) };
    const thought = think(templated, stateFor(templated, observed, { spares: [4] }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'launch', role: 'voter', serverId: 5 });
    expect(thought.state.operation).toMatchObject({ kind: 'replace', replaces: 3, step: 'launching' });
    expect(thought.state.spares).toEqual([4]);
  });

  it('never gives up a removal in flight for a swap, whatever step its record is at', () => {
    // An observer on its way out (observers 1 -> 0); a removal starts at reconfiguring, but the
    // state's schema takes any step, and no removal is ever given up.
    const observed = failing(spec, 2, [4], { observers: [5] });
    for (const step of ['reconfiguring', 'syncing', 'launching'] as const) {
      const removing: Operation = { kind: 'remove', id: 'remove-5-x', serverId: 5, startedAt: T0 - 5000, step, stepSince: T0 - 3000, why: 'observers 1 -> 0' };
      const thought = think(spec, stateFor(spec, observed, { spares: [4], operation: removing }), observed, T0);
      expect(reconfigOf(thought.step)).toEqual({ add: [], remove: [5] });
      expect(thought.state.operation?.id).toBe('remove-5-x');
      expect(thought.state.spares).toEqual([4]);
    }
  });

  it('launches a replacement when the spare is silent, even while another server answers unsynced', () => {
    // The failed voter itself answers but is not synced; the spare does not answer at all.
    const base = failing(spec, 2, [4]);
    const observed: Observation = { ...base, probes: base.probes.map((p) => (p.serverId === 4 ? down(4) : p.serverId === 2 ? notServing(2) : p)) };
    const thought = think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'launch', role: 'voter', serverId: 5 });
    expect(thought.state.spares).toEqual([4]);
  });

  it('keeps as a spare the server whose spare launch it gave up for a swap, when that one synced meanwhile', () => {
    const two = testSpec({ hotSpares: 2 });
    const launching: Operation = { kind: 'spare', id: 'spare-5-x', serverId: 5, zone: 'c', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'hot spares 1 -> 2' };
    const observed = failing(two, 2, [4, 5]);
    const thought = think(two, stateFor(two, observed, { spares: [4], operation: launching }), observed, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [[4, 'voter']], remove: [2] });
    expect(thought.step.why).toMatch(/the spare of server 5 is given up for it/);
    expect(thought.state.operation).toMatchObject({ kind: 'replace', serverId: 4, replaces: 2, step: 'reconfiguring', stepSince: T0 });
    expect(thought.state.spares).toEqual([5]);
    // It served (synced): no never-served record holds its id.
    expect(thought.state.retiredIds).toEqual([]);
  });

  it('retires no id for a swap that gave nothing up', () => {
    const observed = failing(spec, 2, [4]);
    const state = stateFor(spec, observed, { spares: [4] });
    const swap = planned(spec, state, observed);
    expect(reconfigOf(swap.step)).toEqual({ add: [[4, 'voter']], remove: [2] });
    expect(swap.state.retiredIds).toEqual([]);
    expect(think(spec, state, observed, T0).state.retiredIds).toEqual([]);
  });

  it('starts no swap while a member runs a ZooKeeper that may not take a reconfig: it waits with no operation', () => {
    const base = failing(spec, 2, [4]);
    const observed: Observation = {
      ...base,
      probes: base.probes.map((p) => (p.serverId === 3 && p.result.status === 'serving' ? { ...p, result: { status: 'serving' as const, health: { ...p.result.health, version: '3.5.8' } } } : p)),
    };
    const thought = think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0);
    expect(thought.step).toEqual({ kind: 'wait', blockedBy: 'unsafe-version', why: 'server 3 runs ZooKeeper 3.5.8: reconfig needs 3.5.9+ / 3.6.2+' });
    expect(thought.state.operation).toBeUndefined();
    expect(thought.state.spares).toEqual([4]);
  });

  it('swaps in only a spare whose instance runs: one EC2 still lists as pending is not, even synced', () => {
    const base = failing(spec, 2, [4]);
    const observed: Observation = { ...base, instances: base.instances.map((i) => (i.serverId === 4 ? instance(4, 'pending', 'b') : i)) };
    const thought = think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'launch', role: 'voter', serverId: 5 });
    expect(thought.state.spares).toEqual([4]);
  });

  it('swaps in the spare of the failed voter zone even when another zone holds as few voters and a lower id, whatever the order of the spares', () => {
    // Five voters: b holds 1 and 4, c holds 2 and 5, a holds 3. Voter 2 (c) fails: c and a then
    // hold one voter each. Spare 6 is in a, spare 8 in c: 8 keeps the spread.
    const five = testSpec({ hotSpares: 2, voters: { desired: 5 } });
    const observed = failing(five, 2, [6, 8], { voters: [1, 2, 3, 4, 5] });
    for (const spares of [[6, 8], [8, 6]]) {
      const thought = think(five, stateFor(five, observed, { spares }), observed, T0);
      expect(reconfigOf(thought.step)).toEqual({ add: [[8, 'voter']], remove: [2] });
      expect(thought.state.spares).toEqual([6]);
    }
  });
});
