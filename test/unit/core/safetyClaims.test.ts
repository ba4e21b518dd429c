import { describe, expect, it } from 'vitest';
import { initialState } from '../../../lib/config/index.js';
import { allocateServerId, boundState, idInputs, think, type Observation } from '../../../lib/core/index.js';
import { instance, observe, stateFor, T0, testSpec } from '../../support/world.js';

// Safety claims of docs/design.md and the README that no other test pinned (docs/design.md,
// "Safety claims and the tests that pin them").

const spec = testSpec();

describe('safety claims', () => {
  it('reports failed members without a quorum, and changes nothing (failure reports never need quorum)', () => {
    const lost = observe(spec, { down: [2, 3] }, { instances: [instance(1), instance(2, 'stopped'), instance(3, 'stopped')] });
    const thought = think(spec, stateFor(spec, lost), lost, T0);
    expect(thought.step).toMatchObject({ kind: 'wait', blockedBy: 'no-quorum' });
    expect(thought.detection.reports.filter((r) => r.status === 'failed').map((r) => r.serverId)).toEqual([2, 3]);
    expect(thought.detection.reports.filter((r) => r.status === 'cluster')).toEqual([{ kind: 'no-quorum', status: 'cluster', evidence: '1 of 3 voters serving', since: T0 }]);
    expect(thought.state.operation).toBeUndefined();
  });

  it('rolls a joiner back at its timeout even while a member runs a ZooKeeper that blocks every reconfig (timeouts and rollbacks run before any wait)', () => {
    const op = { kind: 'add' as const, id: 'add-4', serverId: 4, role: 'voter' as const, zone: 'a', startedAt: T0, step: 'syncing' as const, stepSince: T0, why: 'voters 3 -> 5' };
    const grow = testSpec({ voters: { desired: 5 } });
    const base = observe(grow, {}, { instances: [instance(1), instance(2), instance(3), instance(4)] });
    // Server 3 runs 3.5.8 (reconfig bugs): no new operation may start; joiner 4 never answered.
    const observed: Observation = {
      ...base,
      probes: base.probes.map((p) => (p.serverId === 3 && p.result.status === 'serving' ? { ...p, result: { status: 'serving', health: { ...p.result.health, version: '3.5.8' } } } : p)),
    };
    const late = think(grow, stateFor(grow, observed, { operation: op }), observed, T0 + grow.operationTimeoutSeconds * 1000 + 1);
    expect(late.step).toMatchObject({ kind: 'terminate', serverId: 4, bootLog: true });
    expect(late.step.why).toBe(`rolled back add of server 4: it did not sync within ${grow.operationTimeoutSeconds} s: stop it`);
    // Before the timeout it waits for the joiner, not for the version.
    const early = think(grow, stateFor(grow, observed, { operation: op }), observed, T0 + 1_000);
    expect(early.step).toMatchObject({ kind: 'wait', blockedBy: 'joiner-syncing' });
  });

  it('keeps at most two retired ids, dropping a never-served record first, and judges an id without a record as one that served', () => {
    const served = { serverId: 4, configVersion: '100000003' };
    const rolledBack = { serverId: 5, since: T0 - 1_000 };
    const servedToo = { serverId: 6, configVersion: '100000004' };
    const bounded = boundState({ ...initialState('orders', 7), retiredIds: [served, rolledBack, servedToo] }, new Set([1, 2, 3]));
    expect(bounded.retiredIds).toEqual([served, servedToo]);
    // Id 5 lost its never-served record: it now needs the leader's session list, as a served id does.
    const observed = observe(spec, {}, { instances: [instance(1), instance(2), instance(3)] });
    const cfg = observed.config.readable ? observed.config.config : undefined;
    if (!cfg) throw new Error('config');
    const withRecord = allocateServerId(idInputs(observed, cfg, { ...bounded, retiredIds: [rolledBack] }, T0 + 11 * 60_000));
    const without = allocateServerId(idInputs(observed, cfg, bounded, T0 + 11 * 60_000));
    expect(withRecord).toMatchObject({ kind: 'chosen', serverId: 5, reused: true });
    expect(without).toMatchObject({ kind: 'chosen', serverId: 7, sessionsWanted: true });
  });
});
