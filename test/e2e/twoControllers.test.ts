import { describe, expect, it } from 'vitest';
import { jsonLog } from '../../lib/adapters/local/index.js';
import { voterIds } from '../../lib/core/index.js';
import { buildLocalDeps } from '../../lib/wiring/index.js';
import { atRest, startLocalCluster } from '../support/localCluster.js';

// Two controllers on one cluster at once: only the lease holder acts.

describe('two controllers', () => {
  it('never both act on one cluster: the other changes nothing, and the heal happens once', async () => {
    const c = await startLocalCluster();
    const other = buildLocalDeps({ home: c.home, log: jsonLog(() => undefined), holder: 'test-b' });
    await c.processes.stop(2, 'kill');
    const outcomes: string[][] = [];
    for (let round = 0; round < 40; round++) {
      const pair = await Promise.all([c.tick(), c.tick(other)]);
      outcomes.push(pair.map((r) => r.outcome));
      if (pair.some((r) => atRest(r, 3)) && round > 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // In no round did both act.
    expect(outcomes.filter(([a, b]) => a === 'acted' && b === 'acted')).toEqual([]);
    expect(outcomes.flat()).toContain('lease-held');
    expect(outcomes.flat()).not.toContain('failed');
    const config = await c.config();
    expect(voterIds(config.members)).toEqual(new Set([1, 3, 4]));
    // One replacement, not two: no server 5 was ever launched.
    expect(c.processes.list().map((s) => s.serverId)).toEqual([1, 3, 4]);
    expect(c.liveProcesses()).toHaveLength(3);
  }, 90_000);
});
