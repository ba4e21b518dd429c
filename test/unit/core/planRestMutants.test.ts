import { describe, expect, it } from 'vitest';
import type { ControllerState, Operation } from '../../../lib/config/index.js';
import { decide, detect, plan, think, type Observation } from '../../../lib/core/index.js';
import { observe, serving, stateFor, T0, testSpec } from '../../support/world.js';

// What ends an operation (withoutOperation), the launch hold after failed launches (launchHeld), the
// version check before any operation, and which member a scale-in removes with the sentence it gives
// (pickRemoval): what the planRest mutants showed no other test pinned (docs/mutation.md). The world
// builder puts server N in zone a/b/c by N % 3 (1: b, 2: c, 3: a, 4: b, 5: c).

/** A config version past every probe's zxid: no write has passed it yet, so a retired id keeps its record. */
const FRESH = 0x200000000n;

describe('what ends an operation', () => {
  const grown = testSpec({ observers: { desired: 1 } });
  const joined = observe(grown, { observers: [4], version: FRESH });
  const add: Operation = { kind: 'add', id: `add-4-${T0.toString(36)}`, serverId: 4, role: 'observer', zone: 'b', startedAt: T0, step: 'reconfiguring', stepSince: T0, why: 'observers 0 -> 1' };
  const failures = (lastAt: number): ControllerState['launchFailures'] => ({ count: 2, faulty: 1, lastAt, template: '' });

  it('clears the failed launches before an add once its server joined, and nothing else', () => {
    const done = think(grown, stateFor(grown, joined, { operation: add, launchFailures: failures(T0 - 1) }), joined, T0 + 1_000);
    expect(done.step.kind).toBe('none');
    expect(done.state.operation).toBeUndefined();
    expect(done.state.launchFailures).toBeUndefined();
    expect(done.state.lastScaleInAt).toBeUndefined(); // an add is no scale-in
    expect(done.state.retiredIds).toEqual([]); // it took nobody out
    expect(done.state.spares).toEqual([]);
  });

  it('keeps a fallback the add met at its own launch or after it: the launch template still counts it', () => {
    for (const lastAt of [T0, T0 + 500]) {
      const done = think(grown, stateFor(grown, joined, { operation: add, launchFailures: failures(lastAt) }), joined, T0 + 1_000);
      expect(done.state.operation).toBeUndefined();
      expect(done.state.launchFailures).toEqual(failures(lastAt));
    }
  });

  it('ends a removal: its start is the last scale-in, its id retired until a write passes the config without it, failed launches kept, and no spare made', () => {
    const three = testSpec();
    const base = observe(three, { version: FRESH });
    // Server 5 left the config and its instance is gone; a probe taken before that still saw it synced.
    const observed: Observation = { ...base, probes: [...base.probes, serving(5, 'follower')] };
    const removal: Operation = { kind: 'remove', id: 'remove-5-x', serverId: 5, startedAt: T0 - 5_000, step: 'terminating', stepSince: T0 - 2_000, why: 'voters 5 -> 3' };
    const done = think(three, stateFor(three, observed, { operation: removal, launchFailures: failures(T0 - 10_000) }), observed, T0);
    expect(done.state.operation).toBeUndefined();
    expect(done.state.lastScaleInAt).toBe(T0 - 5_000);
    expect(done.state.retiredIds).toEqual([{ serverId: 5, configVersion: '200000000' }]);
    expect(done.state.launchFailures).toEqual(failures(T0 - 10_000));
    expect(done.state.spares).toEqual([]);
  });

  it('ends a replacement with the replaced id retired, and a swap keeps the failed launches (it launched nothing)', () => {
    const three = testSpec();
    const observed = observe(three, { voters: [1, 3, 4], version: FRESH });
    for (const id of ['replace-4-x', 'swap-4-x']) {
      const op: Operation = { kind: 'replace', id, serverId: 4, replaces: 2, role: 'voter', zone: 'b', startedAt: T0 - 5_000, step: 'terminating', stepSince: T0 - 2_000, why: 'replace voter 2' };
      const done = think(three, stateFor(three, observed, { operation: op, launchFailures: failures(T0 - 10_000) }), observed, T0);
      expect(done.state.operation).toBeUndefined();
      expect(done.state.retiredIds).toEqual([{ serverId: 2, configVersion: '200000000' }]);
      expect(done.state.lastScaleInAt).toBeUndefined();
      expect(done.state.launchFailures).toEqual(id.startsWith('swap') ? failures(T0 - 10_000) : undefined);
    }
  });

  it('forgets the evidence on the member an operation took out, and only on it (plan, before think adds this tick\'s)', () => {
    const three = testSpec();
    const observed = observe(three, { version: FRESH });
    const removal: Operation = { kind: 'remove', id: 'remove-5-x', serverId: 5, startedAt: T0 - 5_000, step: 'terminating', stepSince: T0 - 2_000, why: 'voters 5 -> 3' };
    const evidence = (serverId: number) => ({ serverId, misses: 1, slowTicks: 0, missingSince: T0 - 3_000 });
    const state = stateFor(three, observed, { operation: removal, health: [evidence(2), evidence(5)] });
    const detection = detect(three, state, observed, T0);
    const planned = plan(three, state, observed, detection, decide(three, state, observed, detection, T0), T0);
    expect(planned.state.health).toEqual([evidence(2)]);
  });
});

describe('launches after failed ones', () => {
  const grow = testSpec({ observers: { desired: 1 } });
  const observed = observe(grow);
  const why = 'observers 0 -> 1: spec asks for 1 (bounds 0..10)';
  const at = (spec: typeof grow, launchFailures: ControllerState['launchFailures'], now: number) => think(spec, stateFor(spec, observed, { launchFailures }), observed, now).step;

  it('backs off a minute after one failed launch, and launches again when the minute is over', () => {
    const once = { count: 1, faulty: 0, lastAt: T0, template: '' };
    expect(at(grow, once, T0 + 30_000)).toEqual({ kind: 'wait', blockedBy: 'launch-backoff', why: `${why}: but the last 1 launch(es) from this launch configuration failed; next launch in 1 min` });
    expect(at(grow, once, T0 + 60_000)).toMatchObject({ kind: 'launch', serverId: 4, role: 'observer' });
  });

  it('does not hold a launch back for a fallback that was no failure (EC2 moved a launch to another zone)', () => {
    expect(at(grow, { count: 0, faulty: 0, lastAt: T0, template: '' }, T0 + 1_000)).toMatchObject({ kind: 'launch', serverId: 4 });
  });

  it('stops launches from a template version whose last three servers ran and never joined, for 6 h', () => {
    const pinned = testSpec({ observers: { desired: 1 }, launchTemplate: { id: 'lt-0abc', version: '7' } });
    const faulty = { count: 3, faulty: 3, lastAt: T0, template: '7' };
    expect(at(pinned, faulty, T0 + 3_600_000)).toEqual({
      kind: 'wait',
      blockedBy: 'launch-failing',
      why: `${why}: but 3 new servers in a row from launch template version 7 ran and never joined; launches stopped for another 300 min or until the spec names another version`,
    });
    expect(at(pinned, faulty, T0 + 6 * 3_600_000)).toMatchObject({ kind: 'launch', serverId: 4 });
  });
});

describe('no operation while a member may not take a reconfig', () => {
  it('names every member whose ZooKeeper is too old', () => {
    const five = testSpec({ voters: { desired: 5 } });
    const base = observe(five);
    const old: Record<number, string> = { 2: '3.5.8', 3: '3.4.14' };
    const observed: Observation = { ...base, probes: base.probes.map((p) => (old[p.serverId] ? serving(p.serverId, 'follower', { version: old[p.serverId] }) : p)) };
    expect(think(five, stateFor(five, observed), observed, T0).step).toEqual({
      kind: 'wait',
      blockedBy: 'unsafe-version',
      why: 'server 2 runs ZooKeeper 3.5.8, server 3 runs ZooKeeper 3.4.14: reconfig needs 3.5.9+ / 3.6.2+',
    });
  });
});

describe('which member a scale-in removes, and the sentence it gives', () => {
  const three = testSpec();
  const five = observe(three, { voters: [1, 2, 3, 4, 5], leader: 1 });
  const shrink = 'voters 5 -> 3: spec asks for 3 (bounds 3..7)';
  const safe = 'old voters 5/5 synced, new 4/4';
  const reported = (serverId: number): Observation => ({ ...five, requests: { ...five.requests, reports: [{ serverId, reason: 'disk errors', at: T0 - 1_000 }] } });

  it('takes a voter of the most crowded zone (the leader counted there), never the leader, and says which zone', () => {
    // Zone b holds 1 (the leader) and 4, zone c holds 2 and 5, zone a holds 3.
    const thought = think(three, stateFor(three, five), five, T0);
    expect(thought.step.why).toBe(`${shrink}: remove voter 2 (2 has the fewest requests (0 outstanding, 10 connections; others 10+), from zone c which holds 2): remove 2 from config 100000000; ${safe}`);
    expect(thought.state.roundRobinCursor).toBe(0);
  });

  it('takes the slowest voter of the crowded zone with the least-response-time strategy', () => {
    const slowest = testSpec({ strategies: { removal: 'least-response-time' } });
    const latency = (avg: number) => ({ latencyMs: { min: 0, avg, max: avg * 2 } });
    const observed: Observation = { ...five, probes: five.probes.map((p) => (p.serverId === 2 ? serving(2, 'follower', latency(3)) : p.serverId === 5 ? serving(5, 'follower', latency(40)) : p)) };
    expect(think(slowest, stateFor(slowest, observed), observed, T0).step).toMatchObject({ kind: 'reconfig', change: { remove: [5] } });
  });

  it('takes a suspect of the crowded zone first and gives its evidence; a suspect elsewhere waits for spread', () => {
    const suspect = reported(5);
    expect(think(three, stateFor(three, suspect), suspect, T0).step.why).toBe(
      `${shrink}: remove voter 5 (5 has the fewest requests (0 outstanding, 10 connections; the only candidate), from zone c which holds 2; suspect: reported "disk errors", not corroborated by probes yet): remove 5 from config 100000000; ${safe}`,
    );
    const alone = reported(3); // zone a holds only 3
    expect(think(three, stateFor(three, alone), alone, T0).step).toMatchObject({ kind: 'reconfig', change: { remove: [2] } });
  });

  it('names no zone when every zone holds one of the role, nor when the chosen one has no instance listed', () => {
    const fewer = testSpec({ observers: { desired: 2 } });
    const spread = observe(fewer, { observers: [4, 5, 6] }); // b, c, a
    expect(think(fewer, stateFor(fewer, spread), spread, T0).step.why).toBe(
      'observers 3 -> 2: spec asks for 2 (bounds 0..10): remove observer 4 (4 has the fewest requests (0 outstanding, 10 connections; others 10+)): remove 4 from config 100000000; old voters 3/3 synced, new 3/3',
    );
    const one = testSpec({ observers: { desired: 1 } });
    const listed = observe(one, { observers: [4, 5] });
    const unlisted: Observation = { ...listed, instances: listed.instances.filter((i) => i.serverId < 4) };
    expect(think(one, stateFor(one, unlisted), unlisted, T0).step.why).toBe(
      'observers 2 -> 1: spec asks for 1 (bounds 0..10): remove observer 4 (4 has the fewest requests (0 outstanding, 10 connections; others 10+)): remove 4 from config 100000000; old voters 3/3 synced, new 3/3',
    );
  });

  it('removes a member nobody probed like any other (it serves no known client)', () => {
    const fewer = testSpec({ observers: { desired: 2 } });
    const spread = observe(fewer, { observers: [4, 5, 6] });
    const unprobed: Observation = { ...spread, probes: spread.probes.filter((p) => p.serverId !== 5) };
    expect(think(fewer, stateFor(fewer, unprobed), unprobed, T0).step).toMatchObject({ kind: 'reconfig', change: { remove: [5] } });
  });

  it('takes the leader when only it is left, and says so', () => {
    // The probes call the only observer the leader (a config read that raced an election).
    const lone = observe(three, { observers: [4], leader: 4 });
    expect(think(three, stateFor(three, lone), lone, T0).step.why).toBe(
      'observers 1 -> 0: spec asks for 0 (bounds 0..10): remove observer 4 (4 has the fewest requests (0 outstanding, 10 connections; the only candidate), the leader goes last and only it is left): remove 4 from config 100000000; old voters 3/3 synced, new 3/3',
    );
  });

  it('takes a failed member first, the leader only when it is the only failed one, with the failure as the reason (plan given no replacement)', () => {
    // think never gets here: decide lists every failed member as a replacement, and replacements
    // come first. plan alone, given a scale-in and no replacement, still removes the failed first.
    const removalOf = (failed: readonly number[]) => {
      const observed: Observation = { ...five, instances: five.instances.map((i) => (failed.includes(i.serverId) ? { ...i, state: 'stopped' as const } : i)) };
      const state = stateFor(three, observed, { roundRobinCursor: 5 });
      const detection = detect(three, state, observed, T0);
      const decision = { ...decide(three, state, observed, detection, T0), replacements: [] };
      return plan(three, state, observed, detection, decision, T0);
    };
    const two = removalOf([1, 2]);
    expect(two.step.why).toBe(`${shrink}: remove voter 2 (instance i-2 is stopped): remove 2 from config 100000000; ${safe}`);
    expect(two.state.roundRobinCursor).toBe(5);
    expect(removalOf([1]).step.why).toBe(`${shrink}: remove voter 1 (instance i-1 is stopped): remove 1 from config 100000000; ${safe}`);
  });
});
