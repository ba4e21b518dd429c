import { describe, expect, it } from 'vitest';
import { think, type Observation } from '../../../lib/core/index.js';
import type { ControllerState, Operation } from '../../../lib/config/index.js';
import { down, instance, instanceIs, notServing, observe, reconfigOf, stateFor, T0, testSpec } from '../../support/world.js';

// Hot spares: synced non-voting followers outside the config, kept so that a failed voter is
// healed by ONE reconfig. The world builder puts server id N in zone a/b/c by N % 3 (1: b, 2: c, 3: a, 4: b...).

const spec = testSpec({ hotSpares: 1 });
const withSpare = (o: Parameters<typeof observe>[1] = {}, extra: Partial<Observation> = {}): Observation => observe(spec, { joiners: [4], ...o }, extra);

describe('hot spares', () => {
  it('launches a spare when the spec asks for one, and it becomes one once synced (no reconfig)', () => {
    const observed = observe(spec);
    const launch = think(spec, stateFor(spec, observed), observed, T0);
    expect(launch.step).toMatchObject({ kind: 'launch', serverId: 4, role: 'spare', operationId: `spare-4-${T0.toString(36)}` });
    expect(launch.step.why).toMatch(/^hot spares 0 -> 1: spec asks for 1: launch server 4 in \w as a hot spare$/);
    expect(launch.state.operation).toMatchObject({ kind: 'spare', serverId: 4, step: 'launching' });

    const booting: Observation = { ...observed, probes: [...observed.probes, notServing(4)], instances: [...observed.instances, instance(4, 'running', 'b')] };
    const waiting = think(spec, launch.state, booting, T0 + 1000);
    expect(waiting.step).toMatchObject({ kind: 'wait', blockedBy: 'joiner-starting' });

    const synced = think(spec, waiting.state, withSpare(), T0 + 2000);
    expect(synced.state.operation).toBeUndefined();
    expect(synced.state.spares).toEqual([4]);
    expect(synced.step).toEqual({ kind: 'none', why: 'steady: voters stay at 3; observers stay at 0: spec asks for 0 (bounds 0..10); hot spares stay at 1' });
  });

  it('keeps a spare running (it is no stray), while a server outside the config that is no spare is stopped', () => {
    const observed = withSpare();
    expect(think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0).step.kind).toBe('none');
    expect(think(spec, stateFor(spec, observed), observed, T0).step).toMatchObject({ kind: 'terminate', serverId: 4 });
  });

  it('heals a voter whose instance stopped with ONE reconfig that swaps the synced spare in, at once (no missed-probe wait)', () => {
    // Voter 2 and spare 5 are both in zone c.
    const observed = instanceIs(observe(spec, { joiners: [5], down: [2] }), 2, 'stopped');
    const thought = think(spec, stateFor(spec, observed, { spares: [5] }), observed, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [[5, 'voter']], remove: [2] });
    expect(thought.step.why).toBe('replace voter 2: instance i-2 is stopped: swap in hot spare 5 (c): add voter 5, remove 2 from config 100000000; old voters 2/3 synced, new 3/3');
    expect(thought.state.operation).toMatchObject({ kind: 'replace', serverId: 5, replaces: 2, step: 'reconfiguring' });
    expect(thought.state.spares).toEqual([]);

    // The swap committed: the old voter is stopped (after a write, by the executor), then a new spare is launched.
    const committed = observe(spec, { voters: [1, 3, 5] });
    const swapped: Observation = { ...committed, instances: [...committed.instances, instance(2, 'stopped', 'c')] };
    const terminate = think(spec, thought.state, swapped, T0 + 1000);
    expect(terminate.step).toEqual({ kind: 'terminate', serverId: 2, why: 'replace voter 2: instance i-2 is stopped: swap in hot spare 5 (c): swapped out; stop it' });
    const replenish = think(spec, terminate.state, committed, T0 + 2000);
    expect(replenish.step).toMatchObject({ kind: 'launch', role: 'spare', serverId: 6 });
    expect(replenish.state.operation).toMatchObject({ kind: 'spare', serverId: 6 });
  });

  it('swaps in the spare of the failed voter zone first, else the one whose zone holds the fewest voters', () => {
    const two = testSpec({ hotSpares: 2 });
    // Voter 2 is in zone c; spare 5 is in c, spare 4 in b.
    const observed = instanceIs(observe(two, { joiners: [4, 5], down: [2] }), 2, 'terminated');
    const sameZone = think(two, stateFor(two, observed, { spares: [4, 5] }), observed, T0);
    expect(reconfigOf(sameZone.step).add).toEqual([[5, 'voter']]);
    expect(sameZone.state.spares).toEqual([4]);

    // No spare in zone c: voter 1 is in b and voter 3 in a; spare 6 (zone a) and spare 4 (zone b) tie, the lower id wins.
    const elsewhere = instanceIs(observe(two, { joiners: [4, 6], down: [2] }), 2, 'terminated');
    expect(reconfigOf(think(two, stateFor(two, elsewhere, { spares: [6, 4] }), elsewhere, T0).step).add).toEqual([[4, 'voter']]);
  });

  it('swaps a spare in for a voter EC2 gave notice on, while it still runs', () => {
    const observed = withSpare({}, { requests: { reports: [], forget: [], replace: [3], notices: { 3: { reason: 'spot interruption at 12:02Z' } } } });
    const thought = think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [[4, 'voter']], remove: [3] });
    expect(thought.step.why).toMatch(/^replace voter 3: spot interruption at 12:02Z: swap in hot spare 4/);
  });

  it('gives up a launch in flight for the swap, and stops the server it launched afterwards', () => {
    const launching: Operation = { kind: 'add', id: 'add-5-x', serverId: 5, role: 'observer', zone: 'c', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'observers 0 -> 1' };
    const base = instanceIs(withSpare({ down: [2] }), 2, 'stopped');
    const observed: Observation = { ...base, probes: [...base.probes, notServing(5)], instances: [...base.instances, instance(5, 'running', 'c')] };
    const thought = think(spec, stateFor(spec, observed, { spares: [4], operation: launching }), observed, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [[4, 'voter']], remove: [2] });
    expect(thought.step.why).toMatch(/the add of server 5 is given up for it/);
    expect(thought.state.operation).toMatchObject({ kind: 'replace', serverId: 4 });
    // The given-up server is stopped as a stray once the swap is done (here: its old voter gone).
    const swapped: Observation = { ...observe(spec, { voters: [1, 3, 4] }), instances: [...observe(spec, { voters: [1, 3, 4] }).instances, instance(5, 'running', 'c')] };
    expect(think(spec, thought.state, swapped, T0 + 1000).step).toMatchObject({ kind: 'terminate', serverId: 5 });
    // EC2 may list the given-up server late: its id is not handed out again meanwhile.
    expect(thought.state.retiredIds).toEqual([{ serverId: 5, since: T0 }]);
    const unlisted: Observation = { ...observe(spec, { voters: [1, 3, 4] }), requests: { reports: [], forget: [], replace: [] } };
    const next = think(testSpec({ hotSpares: 1, observers: { desired: 1 } }), { ...thought.state, operation: undefined }, unlisted, T0 + 60_000);
    expect(next.step).toMatchObject({ kind: 'launch' });
    expect(next.step.kind === 'launch' && next.step.serverId).not.toBe(5);
  });

  it('never gives up a reconfig in flight for a swap: the operation finishes first', () => {
    const bigger = testSpec({ hotSpares: 1, observers: { desired: 1 } });
    const adding: Operation = { kind: 'add', id: 'add-5-x', serverId: 5, role: 'observer', zone: 'c', startedAt: T0 - 5000, step: 'reconfiguring', stepSince: T0 - 3000, why: 'observers 0 -> 1' };
    const observed = instanceIs(observe(bigger, { joiners: [4, 5], down: [2] }), 2, 'stopped');
    const thought = think(bigger, stateFor(bigger, observed, { spares: [4], operation: adding }), observed, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [[5, 'observer']], remove: [] });
    expect(thought.state.operation?.id).toBe('add-5-x');
    expect(thought.state.spares).toEqual([4]);
  });

  it('waits for a spare that answers but is not synced yet (it follows a new leader) instead of launching', () => {
    const base = instanceIs(withSpare({ down: [2] }), 2, 'stopped');
    const resyncing: Observation = { ...base, probes: base.probes.map((p) => (p.serverId === 4 ? notServing(4) : p)) };
    const thought = think(spec, stateFor(spec, resyncing, { spares: [4] }), resyncing, T0);
    expect(thought.step).toEqual({ kind: 'wait', blockedBy: 'joiner-syncing', why: 'replace voter 2: instance i-2 is stopped: hot spare 4 answers but is not synced yet; the swap waits for it' });
    expect(thought.state.operation).toBeUndefined();
  });

  it('launches a replacement when the spare does not answer, and the spare preempts that launch if it syncs after all', () => {
    const base = instanceIs(withSpare({ down: [2] }), 2, 'stopped');
    const silent: Observation = { ...base, probes: base.probes.map((p) => (p.serverId === 4 ? down(4) : p)) };
    const launch = think(spec, stateFor(spec, silent, { spares: [4] }), silent, T0);
    expect(launch.step).toMatchObject({ kind: 'launch', role: 'voter', serverId: 5 });
    expect(launch.state.spares).toEqual([4]);

    const synced: Observation = { ...base, instances: [...base.instances, instance(5, 'pending', 'c')] };
    const swap = think(spec, launch.state, synced, T0 + 1000);
    expect(reconfigOf(swap.step)).toEqual({ add: [[4, 'voter']], remove: [2] });
    expect(swap.step.why).toMatch(/the replace of server 5 is given up for it/);
  });

  it('drops a spare whose instance stopped, stops it as a stray and launches another', () => {
    const observed = instanceIs(withSpare({ down: [4] }), 4, 'stopped');
    const stop = think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0);
    expect(stop.state.spares).toEqual([]);
    expect(stop.step).toMatchObject({ kind: 'terminate', serverId: 4 });
    const after = observe(spec);
    expect(think(spec, stop.state, after, T0 + 1000).step).toMatchObject({ kind: 'launch', role: 'spare', serverId: 5 });
  });

  it('drops a spare that detection failed (missed probes), like a member', () => {
    const observed = withSpare({ down: [4] });
    const evidence: Partial<ControllerState> = { spares: [4], health: [{ serverId: 4, misses: 5, missingSince: T0 - 60_000, slowTicks: 0 }] };
    const thought = think(spec, stateFor(spec, observed, evidence), observed, T0);
    expect(thought.state.spares).toEqual([]);
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 4 });
    expect(thought.decision.spares.why).toMatch(/^hot spares 0 -> 1: spec asks for 1 \(spare 4 failed: missed 6 probes in a row/);
  });

  it('stops the spares beyond a lowered hotSpares', () => {
    const observed = observe(spec, { joiners: [4, 5] });
    const thought = think(spec, stateFor(spec, observed, { spares: [4, 5] }), observed, T0);
    expect(thought.state.spares).toEqual([4]);
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 5 });
  });

  it('removes a failed voter instead of swapping when the voters are to shrink anyway', () => {
    const shrink = testSpec({ hotSpares: 1 });
    const observed = instanceIs(observe(shrink, { voters: [1, 2, 3, 5, 6], joiners: [4], down: [2] }), 2, 'stopped');
    const thought = think(shrink, stateFor(shrink, observed, { spares: [4] }), observed, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [], remove: [2] });
    expect(thought.state.spares).toEqual([4]);
  });

  it('changes nothing while paused, a spare in reach or not', () => {
    const paused = testSpec({ hotSpares: 1, paused: true });
    const observed = instanceIs(observe(paused, { joiners: [4], down: [2] }), 2, 'stopped');
    expect(think(paused, stateFor(paused, observed, { spares: [4] }), observed, T0).step).toMatchObject({ kind: 'wait', blockedBy: 'paused' });
  });

  it('keeps the spare of a cluster that cannot read its config: nobody can tell it from a member then', () => {
    const observed: Observation = { ...withSpare(), config: { readable: false, reason: 'connection refused' } };
    expect(think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0).state.spares).toEqual([4]);
  });

  it('reports a spare as it serves: a synced spare is healthy', () => {
    const observed = withSpare();
    const thought = think(spec, stateFor(spec, observed, { spares: [4] }), observed, T0);
    expect(thought.detection.verdicts.get(4)?.status).toBe('healthy');
  });

  it('holds the id of a spare the fleet stopped listing: EC2 may list a running one late', () => {
    const unlisted: Observation = observe(spec);
    const thought = think(spec, stateFor(spec, unlisted, { spares: [4], nextServerId: 5 }), unlisted, T0);
    expect(thought.state.spares).toEqual([]);
    expect(thought.state.retiredIds).toEqual([{ serverId: 4, since: T0 }]);
    expect(thought.step).toMatchObject({ kind: 'launch', role: 'spare' });
    expect(thought.step.kind === 'launch' && thought.step.serverId).not.toBe(4);
  });

  it('keeps counting failed launches across a swap: a swap launched nothing', () => {
    const observed = instanceIs(withSpare({ down: [2] }), 2, 'stopped');
    const failures = { count: 2, faulty: 2, lastAt: T0 - 60_000, template: '' };
    const swap = think(spec, stateFor(spec, observed, { spares: [4], launchFailures: failures }), observed, T0);
    expect(swap.state.operation?.id).toMatch(/^swap-4-/);
    const committed = observe(spec, { voters: [1, 3, 4] });
    const done = think(spec, swap.state, committed, T0 + 1000);
    expect(done.state.operation).toBeUndefined();
    expect(done.state.launchFailures).toEqual(failures);
    expect(done.step).toMatchObject({ kind: 'wait', blockedBy: 'launch-backoff' });
  });

  it('drops a spare EC2 gave notice on (stopped and launched again) and never swaps it in', () => {
    const notice = { reports: [], forget: [], replace: [4], notices: { 4: { reason: 'spot interruption at 12:02Z' } } };
    const calm = withSpare({}, { requests: notice });
    const dropped = think(spec, stateFor(spec, calm, { spares: [4] }), calm, T0);
    expect(dropped.state.spares).toEqual([]);
    expect(dropped.step).toMatchObject({ kind: 'terminate', serverId: 4 });
    expect(dropped.decision.spares.why).toBe('hot spares 0 -> 1: spec asks for 1 (spare 4 is to be replaced: spot interruption at 12:02Z)');

    const failing = instanceIs(withSpare({ down: [2] }, { requests: notice }), 2, 'stopped');
    // No swap: the noticed spare is stopped first (strays go before new operations), then a voter is launched.
    const noSwap = think(spec, stateFor(spec, failing, { spares: [4] }), failing, T0);
    expect(noSwap.step).toMatchObject({ kind: 'terminate', serverId: 4 });
    expect(noSwap.state.operation).toBeUndefined();
  });
});

