import { describe, expect, it } from 'vitest';
import { think, type Observation } from '../../../lib/core/index.js';
import type { Operation } from '../../../lib/config/index.js';
import { instanceIs, observe, reconfigOf, stateFor, T0, testSpec } from '../../support/world.js';

// EC2 gives a terminated instance's private address to a new one. While the terminated server is
// still in the config, a joiner at that address must not be added beside it (ZooKeeper accepts two
// members on one address, and no new server boots from such a config again).

describe('an address EC2 reused', () => {
  const plain = testSpec({ voters: { desired: 5 } });
  const at = (o: Observation, id: number, host: string): Observation => ({ ...o, instances: o.instances.map((i) => (i.serverId === id ? { ...i, host } : i)) });

  it('rolls back a joiner that got the address of a member still in the config, rather than add it beside it', () => {
    const adding: Operation = { kind: 'add', id: 'add-7-x', serverId: 7, role: 'voter', zone: 'b', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'voters 4 -> 5' };
    const observed = at(instanceIs(observe(plain, { voters: [1, 2, 3, 6], joiners: [7], down: [6] }), 6, 'terminated'), 7, '10.0.0.6');
    const thought = think(plain, stateFor(plain, observed, { operation: adding }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 7 });
    expect(thought.state.operation?.why).toBe('rolled back add of server 7: its address 10.0.0.6 is member 6\'s (EC2 reused it)');
  });

  it('still swaps in a replacement that got the address of the member it replaces', () => {
    const replacing: Operation = { kind: 'replace', id: 'replace-7-x', serverId: 7, replaces: 2, role: 'voter', zone: 'c', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'replace voter 2' };
    const three = testSpec();
    const observed = at(instanceIs(observe(three, { joiners: [7], down: [2] }), 2, 'terminated'), 7, '10.0.0.2');
    expect(reconfigOf(think(three, stateFor(three, observed, { operation: replacing }), observed, T0).step)).toEqual({ add: [[7, 'voter']], remove: [2] });
  });

  it('removes first a failed member whose address another member now has (no server boots from such a config)', () => {
    const observed = instanceIs(observe(plain, { voters: [1, 2, 3, 6, 7], down: [6] }), 6, 'terminated');
    const clashing: Observation = { ...observed, config: observed.config.readable ? { readable: true, config: { ...observed.config.config, members: observed.config.config.members.map((m) => (m.serverId === 7 ? { ...m, host: '10.0.0.6', clientHost: '10.0.0.6' } : m)) } } : observed.config };
    const thought = think(plain, stateFor(plain, clashing), clashing, T0);
    expect(reconfigOf(thought.step)).toEqual({ add: [], remove: [6] });
    expect(thought.step.why).toMatch(/^replace voter 6: instance i-6 is terminated; its address 10\.0\.0\.6 is server 7's now \(EC2 reused it\): removed first/);
  });

  it('rolls back a replacement that got the address of a member other than the one it replaces', () => {
    const replacing: Operation = { kind: 'replace', id: 'replace-7-x', serverId: 7, replaces: 2, role: 'voter', zone: 'c', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'replace voter 2' };
    const three = testSpec();
    const observed = at(instanceIs(observe(three, { joiners: [7], down: [2] }), 2, 'terminated'), 7, '10.0.0.3');
    const thought = think(three, stateFor(three, observed, { operation: replacing }), observed, T0);
    expect(thought.step).toMatchObject({ kind: 'terminate', serverId: 7 });
    expect(thought.state.operation?.why).toBe('rolled back replace of server 7: its address 10.0.0.3 is member 3\'s (EC2 reused it)');
  });
});

describe('a replacement whose replaced member already left the config', () => {
  it('adds the synced joiner alone: the reconfig removes no server that is not a member', () => {
    const three = testSpec();
    const replacing: Operation = { kind: 'replace', id: 'replace-7-x', serverId: 7, replaces: 4, role: 'voter', zone: 'c', startedAt: T0 - 5000, step: 'syncing', stepSince: T0 - 3000, why: 'replace voter 4' };
    const observed = observe(three, { voters: [1, 2, 3], joiners: [7] });
    expect(reconfigOf(think(three, stateFor(three, observed, { operation: replacing }), observed, T0).step)).toEqual({ add: [[7, 'voter']], remove: [] });
  });
});
