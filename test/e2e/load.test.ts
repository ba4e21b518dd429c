import { describe, expect, it } from 'vitest';
import { runCommand } from '../../lib/cli/commands.js';
import { connectString, type ServerId } from '../../lib/core/index.js';
import { startLocalCluster } from '../support/localCluster.js';

// A read load above target adds observers; when it stops they are removed after the stabilization
// window, not before.

const STABILIZATION_S = 15;

describe('load-based scaling', () => {
  it('adds observers under read load and removes them only after the stabilization window once it stops', async () => {
    const c = await startLocalCluster({
      observers: { min: 0, desired: 0, max: 2 },
      load: { targets: { requestsPerSecond: 40 }, windowSeconds: 30, scaleOutCooldownSeconds: 0, scaleInCooldownSeconds: 0, scaleInStabilizationSeconds: STABILIZATION_S },
    });
    const members = (await c.config()).members;
    let loadOutput = '';
    const load = runCommand(['load', '--rate', '400', '--reads-pct', '100', '--seconds', '25', '--clients', '4', '--connect', connectString(members), '--home', c.home, '--cluster', c.cluster], {
      out: (t) => (loadOutput += t),
      err: (t) => (loadOutput += t),
    });
    const observersOf = (r: Awaited<ReturnType<typeof c.tick>>): ServerId[] =>
      r.observation?.config.readable ? r.observation.config.config.members.filter((m) => m.role === 'observer').map((m) => m.serverId) : [];

    const grown = await c.tickUntil('2 observers under load', (r) => observersOf(r).length === 2 && r.outcome === 'steady', { timeoutMs: 45_000, intervalMs: 500 });
    expect(grown.find((r) => r.step?.kind === 'launch')?.why).toMatch(/^observers 0 -> [12]: avg \d+(\.\d)? req\/s per server over \d+ s > target 40 \(\+10% tolerance\)/);
    expect(await load).toBe(0);
    expect(loadOutput).toMatch(/operations in 25 s/);

    // The load has stopped: the window average falls, scale-in waits for its window.
    const shrink = await c.tickUntil('observers removed', (r) => observersOf(r).length === 0 && r.outcome === 'steady', { timeoutMs: 120_000, intervalMs: 500 });
    const firstRemoval = shrink.find((r) => r.step?.kind === 'reconfig');
    const holdStarted = shrink.find((r) => r.thought?.state.scaleInHold)?.thought?.state.scaleInHold?.since;
    expect(holdStarted).toBeDefined();
    const removedAt = firstRemoval?.thought?.state.operation?.startedAt ?? 0;
    expect(removedAt - (holdStarted as number)).toBeGreaterThanOrEqual(STABILIZATION_S * 1000);
    expect(firstRemoval?.why).toMatch(/the highest recommendation over the 15 s window was/);
    expect([...grown, ...shrink].filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual([]);
  }, 240_000);
});
