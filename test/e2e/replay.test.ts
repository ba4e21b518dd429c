import { describe, expect, it } from 'vitest';
import type { TickRecord, TickResult } from '../../lib/controller/index.js';
import { replay } from '../../lib/sim/index.js';
import { atRest, startLocalCluster } from '../support/localCluster.js';

// The simulator drives the very functions the controller runs: a real local-mode run (a heal and a
// scale-out), recorded tick by tick, replays through the simulator's core to the same decisions.

describe('replay', () => {
  it('gives the same decisions, tick for tick, as a recorded heal and scale-out on real ZooKeeper', async () => {
    const c = await startLocalCluster();
    const records: TickRecord[] = [];
    const recording = { ...c.deps, recorder: (r: TickRecord) => void records.push(r) };
    await c.processes.stop(2, 'kill');
    const results: TickResult[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await c.tick(recording);
      results.push(r);
      if (records.length > 2 && atRest(r, 3)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(atRest(results.at(-1) as TickResult, 3)).toBe(true);
    await c.setSpec((s) => ({ ...s, voters: { ...s.voters, desired: 5 } }));
    for (let i = 0; i < 150; i++) {
      results.push(await c.tick(recording));
      if (atRest(results.at(-1) as TickResult, 5)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(atRest(results.at(-1) as TickResult, 5)).toBe(true);
    expect(results.filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual([]);
    const kinds = new Set(records.map((r) => r.step.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['launch', 'reconfig', 'terminate', 'none']));
    expect(records.length).toBeGreaterThan(8);
    expect(replay(records)).toEqual([]);
    // And a replay notices when a decision would differ.
    const tampered = records.map((r, i) => (i === 1 ? { ...r, step: { kind: 'none' as const, why: 'tampered' } } : r));
    expect(replay(tampered).map((d) => d.tick)).toEqual([1]);
  }, 120_000);
});
