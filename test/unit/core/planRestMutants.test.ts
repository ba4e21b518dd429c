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
