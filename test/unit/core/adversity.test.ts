import { describe, expect, it } from 'vitest';
import type { ControllerState } from '../../../lib/config/index.js';
import { fewestMembers, LAUNCH_BACKOFF, launchLanded, notAvoided, placementCandidates, think, type Observation, type PlacementInput } from '../../../lib/core/index.js';
import { ModelEnsemble } from '../../support/modelEnsemble.js';
import { instance, observe, stateFor, T0, testSpec } from '../../support/world.js';

// When AWS misbehaves: placement that keeps spread through a heal and a capacity fallback, joiners
// that never join, bad versions, and evidence that survives a rollback.

const spec = testSpec();

describe('placement', () => {
  const input: PlacementInput = {
    zones: ['a', 'b', 'c'],
    role: 'voter',
    placed: [
      { serverId: 1, zone: 'a' },
      { serverId: 3, zone: 'c' },
    ],
    avoided: [],
    now: T0,
  };
  const candidates = (zones: Record<string, number>) => Object.entries(zones).map(([zone, members]) => ({ zone, members }));

  it('keeps the zones with the fewest staying members of the role', () => {
    expect(fewestMembers(candidates({ a: 1, b: 0, c: 1 }), input).kept.map((c) => c.zone)).toEqual(['b']);
    expect(fewestMembers(candidates({ a: 1, b: 1 }), input).kept.map((c) => c.zone)).toEqual(['a', 'b']);
  });

  it('skips a zone while it is avoided, and says for how long and why', () => {
    const avoiding = { ...input, avoided: [{ zone: 'b', until: T0 + 10 * 60_000, why: 'no capacity' }, { zone: 'c', until: T0 - 1, why: 'over' }] };
    const result = notAvoided(candidates({ a: 1, b: 0, c: 1 }), avoiding);
    expect(result.kept.map((c) => c.zone)).toEqual(['a', 'c']);
    expect(result.note).toBe(' (zone b skipped for another 10 min: no capacity)');
  });

  it('chains the filters, and passes over one that would leave no zone', () => {
    expect(placementCandidates(input).kept.map((c) => c.zone)).toEqual(['b']);
    const everyZone = { ...input, avoided: ['a', 'b', 'c'].map((zone) => ({ zone, until: T0 + 60_000, why: 'outage' })) };
    expect(placementCandidates(everyZone)).toEqual({ kept: [{ zone: 'b', members: 0 }], note: '' });
  });

  it('replaces a failed voter in its own zone, so the heal keeps one voter per zone', () => {
    // Voters 1, 2, 3 in zones b, c, a; server 2 (zone c) is gone.
    const observed = observe(spec, { down: [2] }, { instances: [instance(1, 'running', 'b'), instance(2, 'terminated', 'c'), instance(3, 'running', 'a')] });
    for (const strategy of ['round-robin', 'random', 'least-requests', 'least-response-time']) {
      const s = testSpec({ strategies: { placement: strategy } });
      for (const cursor of [0, 1, 2]) {
        const step = think(s, stateFor(s, observed, { roundRobinCursor: cursor }), observed, T0).step;
        expect(step).toMatchObject({ kind: 'launch', serverId: 4, zone: 'c' });
      }
    }
  });

  it('follows a launch EC2 moved to another zone, and skips the full zone for a while', () => {
    const op = { kind: 'replace' as const, id: 'replace-4', serverId: 4, replaces: 2, role: 'voter' as const, zone: 'c', startedAt: T0, step: 'launching' as const, stepSince: T0, why: 'replace voter 2' };
    const state = stateFor(spec, observe(spec), { operation: op });
    const moved = launchLanded(state, 4, 'a', T0, '');
    expect(moved.operation).toMatchObject({ zone: 'a' });
    expect(moved.zonesAvoided).toEqual([{ zone: 'c', until: T0 + 30 * 60_000, why: 'no capacity: server 4 went to a' }]);
    expect(launchLanded(moved, 4, 'a', T0, '')).toBe(moved);
  });
});

describe('removal keeps spread', () => {
  it('takes a voter from the zone holding the most, the leader counted there, so 5 -> 3 leaves one per zone', () => {
    const five = testSpec({ voters: { min: 3, desired: 3, max: 5 } });
    const zones: Record<number, string> = { 1: 'a', 2: 'b', 3: 'c', 4: 'a', 5: 'c' };
    const at = (ids: number[]): Observation => ({ ...observe(five, { voters: ids, leader: 1 }), instances: ids.map((id) => instance(id, 'running', zones[id])) });
    const first = think(five, stateFor(five, at([1, 2, 3, 4, 5])), at([1, 2, 3, 4, 5]), T0).step;
    expect(first.kind === 'reconfig' && first.change.kind === 'incremental' && first.change.remove[0]).toBeOneOf([3, 4, 5]);
    const second = think(five, stateFor(five, at([1, 2, 4, 5])), at([1, 2, 4, 5]), T0).step;
    expect(second).toMatchObject({ kind: 'reconfig', change: { remove: [4] } });
    expect(second.why).toMatch(/from zone a which holds 2/);
  });
});

describe('spread repaired', () => {
  it('replaces a voter of a zone that holds a majority, with one in the empty zone, and not while that zone is avoided', () => {
    const zones: Record<number, string> = { 1: 'a', 4: 'a', 5: 'c' };
    const observed: Observation = { ...observe(spec, { voters: [1, 4, 5], leader: 1 }), instances: [1, 4, 5].map((id) => instance(id, 'running', zones[id])) };
    const thought = think(spec, stateFor(spec, observed), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'launch', zone: 'b' });
    expect(thought.step.why).toMatch(/^replace voter 4: zone a holds 2 of 3 voters \(losing it would lose the quorum\) while zone b holds 0: launch server 6 in b to swap in$/);
    const avoided = stateFor(spec, observed, { zonesAvoided: [{ zone: 'b', until: T0 + 60_000, why: 'no capacity' }] });
    expect(think(spec, avoided, observed, T0).step.kind).toBe('none');
    // Within 2 h of a launch EC2 moved (no capacity), repair would land back where it started.
    const moved = stateFor(spec, observed, { launchFailures: { count: 1, faulty: 0, lastAt: T0 - 3_600_000, template: '' } });
    expect(think(spec, moved, observed, T0).step.kind).toBe('none');
    expect(think(spec, moved, observed, T0 + 3_600_000 + 1).step).toMatchObject({ kind: 'launch', zone: 'b' });
  });
});

describe('joiners that never join', () => {
  const failedVoter2: Observation = observe(spec, { down: [2] }, { instances: [instance(1, 'running', 'b'), instance(2, 'stopped', 'c'), instance(3, 'running', 'a')] });

  it('gives up a joiner that runs an unsupported ZooKeeper at once, keeps its boot log, and counts it against the template', () => {
    const op = { kind: 'replace' as const, id: 'replace-4', serverId: 4, replaces: 2, role: 'voter' as const, zone: 'b', startedAt: T0, step: 'syncing' as const, stepSince: T0, why: 'replace voter 2' };
    const old = observe(spec, { voters: [1, 2, 3], down: [2], joiners: [4] });
    const observed: Observation = { ...old, probes: old.probes.map((p) => (p.serverId === 4 && p.result.status === 'serving' ? { ...p, result: { status: 'serving', health: { ...p.result.health, version: '3.5.5-1' } } } : p)) };
    const thought = think(spec, stateFor(spec, observed, { operation: op }), observed, T0 + 5_000);
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 4, bootLog: true });
    expect(thought.step.why).toBe('rolled back replace of server 4: server 4 runs ZooKeeper 3.5.5-1: reconfig needs 3.5.9+ / 3.6.2+: stop it');
    expect(thought.state.launchFailures).toEqual({ count: 1, faulty: 1, lastAt: T0 + 5_000, template: '' });
  });

  it('stops a stray even while a member runs a ZooKeeper that blocks every reconfig', () => {
    const old = observe(spec);
    const observed: Observation = {
      ...old,
      probes: old.probes.map((p) => (p.serverId === 3 && p.result.status === 'serving' ? { ...p, result: { status: 'serving', health: { ...p.result.health, version: '3.5.8' } } } : p)),
      instances: [...old.instances, instance(9, 'running', 'a')],
    };
    expect(think(spec, stateFor(spec, observed), observed, T0).step).toMatchObject({ kind: 'terminate', serverId: 9 });
  });

  it('gives up a joiner whose instance died before it joined at once, instead of launching it again until the timeout', () => {
    const op = { kind: 'replace' as const, id: 'replace-4', serverId: 4, replaces: 2, role: 'voter' as const, zone: 'c', startedAt: T0, step: 'launching' as const, stepSince: T0, why: 'replace voter 2' };
    const observed: Observation = { ...failedVoter2, instances: [...failedVoter2.instances, instance(4, 'stopped', 'c')] };
    const thought = think(spec, stateFor(spec, observed, { operation: op, nextServerId: 5 }), observed, T0 + 30_000);
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 4, bootLog: true });
    expect(thought.step.why).toBe('rolled back replace of server 4: its instance is stopped before it was added: stop it');
    expect(thought.state.launchFailures).toMatchObject({ count: 1, faulty: 0 });
    // Terminated (EC2 still lists it): given up too, and the next launch waits its back-off.
    const gone: Observation = { ...failedVoter2, instances: [...failedVoter2.instances, instance(4, 'terminated', 'c')] };
    const after = think(spec, stateFor(spec, gone, { operation: op, nextServerId: 5 }), gone, T0 + 30_000);
    expect(after.state.operation).toBeUndefined();
    expect(after.state.launchFailures).toMatchObject({ count: 1, faulty: 0 });
    expect(after.step).toMatchObject({ kind: 'wait', blockedBy: 'launch-backoff' });
  });

  it('keeps the failed voter\'s evidence when its replacement is rolled back', () => {
    const op = { kind: 'replace' as const, id: 'replace-4', serverId: 4, replaces: 2, role: 'voter' as const, zone: 'c', startedAt: T0, step: 'launching' as const, stepSince: T0, why: 'replace voter 2' };
    const state = stateFor(spec, failedVoter2, { operation: op, nextServerId: 5, health: [{ serverId: 2, misses: 9, missingSince: T0 - 120_000, slowTicks: 0 }] });
    const late = think(spec, state, failedVoter2, T0 + 601_000);
    expect(late.state.operation).toBeUndefined(); // nothing to stop: the joiner never got an instance
    expect(late.state.health).toEqual([{ serverId: 2, misses: 10, missingSince: T0 - 120_000, slowTicks: 0 }]);
  });

  it('backs off, then stops launching from a template whose servers never join, until the spec names another version', () => {
    const templated = testSpec({ launchTemplate: { id: 'lt-1', version: '7' } });
    const failures = (count: number, lastAt: number, faulty = count): Partial<ControllerState> => ({ launchFailures: { count, faulty, lastAt, template: '7' } });
    const at = (count: number, since: number, faulty = count) => think(templated, stateFor(templated, failedVoter2, failures(count, T0, faulty)), failedVoter2, T0 + since).step;
    expect(at(1, 30_000)).toMatchObject({ kind: 'wait', blockedBy: 'launch-backoff' });
    expect(at(1, 30_000).why).toMatch(/but the last 1 launch\(es\) from launch template version 7 failed; next launch in 1 min$/);
    // Failures that were EC2's (no capacity, an instance it stopped) slow launches down, never stop them.
    expect(at(8, LAUNCH_BACKOFF.maxMs + 1, 0)).toMatchObject({ kind: 'launch' });
    expect(at(1, 61_000)).toMatchObject({ kind: 'launch' });
    expect(at(2, 61_000)).toMatchObject({ kind: 'wait', blockedBy: 'launch-backoff' });
    expect(at(3, LAUNCH_BACKOFF.maxMs + 1)).toMatchObject({ kind: 'wait', blockedBy: 'launch-failing' });
    expect(at(3, LAUNCH_BACKOFF.stoppedMs + 1)).toMatchObject({ kind: 'launch' });
    const fixed = testSpec({ launchTemplate: { id: 'lt-1', version: '8' } });
    expect(think(fixed, stateFor(fixed, failedVoter2, failures(3, T0)), failedVoter2, T0 + 1000).step).toMatchObject({ kind: 'launch' });
  });

  it('keeps retrying joiners that never boot with the same few ids: 63 hours of one-minute ticks with a failed voter', () => {
    const model = new ModelEnsemble(spec, [1, 2, 3]);
    const victim = model.servers.get(2);
    if (victim) victim.state = 'stopped';
    let state = stateFor(spec, model.observe());
    for (let minute = 0; minute < 63 * 60; minute++) {
      model.tick = minute;
      const thought = think(spec, state, model.observe(), T0 + minute * 60_000);
      state = thought.state;
      model.apply(thought.step);
      const joiner = thought.step.kind === 'launch' ? model.servers.get(thought.step.serverId) : undefined;
      if (joiner) joiner.crashed = true; // its instance runs; its ZooKeeper never answers
    }
    // 3 failures (each after the 10-min operation timeout and the back-off), then one try per 6 h;
    // a joiner that never served gives its id back once its instance is gone (the model, as EC2,
    // lists a terminated instance for an hour), so a few ids take turns.
    const tries = model.launched;
    expect(tries).toBeLessThanOrEqual(LAUNCH_BACKOFF.stopAfter + Math.ceil((63 * 3_600_000) / LAUNCH_BACKOFF.stoppedMs));
    expect(tries).toBeGreaterThan(LAUNCH_BACKOFF.stopAfter); // it never gives up for good
    expect(new Set(model.launches).size).toBeLessThanOrEqual(4);
    expect([...model.servers.values()].filter((s) => s.state === 'running' && s.serverId > 3).length).toBeLessThanOrEqual(1); // the one joiner in flight, or none
  });
});
