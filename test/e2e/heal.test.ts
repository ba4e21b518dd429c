import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syncedIds, voterIds } from '../../lib/core/index.js';
import { atRest, startLocalCluster } from '../support/localCluster.js';

// Local mode heals a killed voter: a new server with a NEW id starts, syncs, and one reconfig
// swaps it in for the dead one; the dead member's process, files and state are cleaned up.

describe('heal', () => {
  it('replaces a kill -9ed voter with a new id in one swap, back to 3 synced voters, and measures the time', async () => {
    const c = await startLocalCluster();
    const before = await c.config();
    const leader = (await c.tick()).observation?.probes.find((p) => p.result.status === 'serving' && p.result.health.mode === 'leader')?.serverId;
    const victim = [1, 2, 3].find((id) => id !== leader) as number;

    const killedAt = performance.now();
    await c.processes.stop(victim, 'kill');
    const results = await c.tickUntil('3 synced voters without the victim', (r) => atRest(r, 3) && !(r.observation?.config.readable && r.observation.config.config.members.some((m) => m.serverId === victim)), { timeoutMs: 60_000, intervalMs: 100 });
    const mttrMs = Math.round(performance.now() - killedAt);
    expect(results.filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual([]);

    const after = await c.config();
    const newIds = after.members.map((m) => m.serverId).filter((id) => !before.members.some((m) => m.serverId === id));
    expect(newIds).toEqual([4]);
    expect(voterIds(after.members)).toEqual(new Set([1, 2, 3, 4].filter((id) => id !== victim)));
    const reconfigs = results.filter((r) => r.step?.kind === 'reconfig');
    expect(reconfigs).toHaveLength(1);
    expect(reconfigs[0]?.step?.kind === 'reconfig' && reconfigs[0].step.change.kind === 'incremental' && reconfigs[0].step.change.remove).toEqual([victim]);
    const last = results.at(-1);
    expect(syncedIds(last?.observation?.probes ?? []).size).toBe(3);

    // The dead member is gone everywhere: process, files, state.
    expect(c.processes.list().map((s) => s.serverId)).toEqual([1, 2, 3, 4].filter((id) => id !== victim));
    expect(existsSync(`${c.deps.store.clusterDir(c.cluster)}/servers/${victim}`)).toBe(false);
    const state = (await c.deps.store.readState(c.cluster))?.state;
    expect(state?.health.map((h) => h.serverId) ?? []).not.toContain(victim);
    expect(state?.operation).toBeUndefined();
    console.info(`MTTR (kill -9 -> 3 synced voters, detection included, 100 ms ticks): ${mttrMs} ms over ${results.length} ticks`);
  }, 90_000);
});
