import { describe, expect, it } from 'vitest';
import { connectString, leaderOf, syncedIds, voterIds, type ServerId } from '../../lib/core/index.js';
import type { TickResult } from '../../lib/controller/index.js';
import { atRest, startLocalCluster, type TestCluster } from '../support/localCluster.js';
import { missingWrites, startWriter } from '../support/writer.js';

// Local mode with a hot spare (real ZooKeeper): 3 voters and 1 synced non-voting follower outside
// the config. A kill -9ed voter (a follower, then the leader) is healed by ONE reconfig that swaps
// the spare in, with no launch before it; the spare is then launched again in the background.

const spares = async (c: TestCluster): Promise<readonly ServerId[]> => (await c.deps.store.readState(c.cluster))?.state.spares ?? [];

/** Kills `victim` and ticks until 3 voters without it are synced; the ticks and the time it took. */
async function killAndHeal(c: TestCluster, victim: ServerId): Promise<{ results: TickResult[]; mttrMs: number }> {
  const killedAt = performance.now();
  await c.processes.stop(victim, 'kill');
  const results = await c.tickUntil(
    `3 synced voters without server ${victim}`,
    (r) => {
      const config = r.observation?.config.readable ? r.observation.config.config : undefined;
      if (!config || config.members.some((m) => m.serverId === victim)) return false;
      const synced = syncedIds(r.observation?.probes ?? []);
      return voterIds(config.members).size === 3 && [...voterIds(config.members)].every((id) => synced.has(id));
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  return { results, mttrMs: Math.round(performance.now() - killedAt) };
}

describe('hot spares', () => {
  it('heals a killed follower and then a killed leader each with ONE swap of the synced spare, relaunching the spare, losing no acknowledged write', async () => {
    const c = await startLocalCluster({ hotSpares: 1 });
    const [spare] = await spares(c);
    expect(spare).toBe(4);
    const initial = await c.config();
    expect(voterIds(initial.members)).toEqual(new Set([1, 2, 3]));
    const writer = await startWriter(connectString(initial.members), { ratePerSecond: 100 });
    const writing = Date.now();
    const ticks: TickResult[] = [];
    try {
      const leader = leaderOf((await c.tick()).observation?.probes ?? []) as ServerId;
      const follower = [1, 2, 3].find((id) => id !== leader) as ServerId;
      for (const victim of [follower, leader]) {
        const ready = (await spares(c))[0] as ServerId;
        const { results, mttrMs } = await killAndHeal(c, victim);
        ticks.push(...results);
        const acted = results.filter((r) => r.outcome === 'acted');
        // The first act after the kill is the swap itself: no launch, no wait for a new server.
        const swap = acted[0]?.step;
        expect(swap?.kind === 'reconfig' && swap.change.kind === 'incremental' ? [swap.change.add.map((m) => [m.serverId, m.role]), swap.change.remove] : swap).toEqual([[[ready, 'voter']], [victim]]);
        expect(acted.filter((r) => r.step?.kind === 'reconfig')).toHaveLength(1);
        expect((await c.config()).members.map((m) => m.serverId)).toContain(ready);
        console.info(`hot spare swap for killed ${victim === leader ? 'leader' : 'follower'} ${victim}: 3 synced voters ${mttrMs} ms after the kill, ${results.length} ticks`);

        // Back to 3 voters and a synced spare (its id may be the killed server's: ids come back once
        // nothing of the old server is left), every other server stopped and cleaned up.
        const rest = await c.tickUntil('a new synced spare, at rest', (r) => atRest(r, 3), { timeoutMs: 30_000, intervalMs: 100 });
        ticks.push(...rest);
        const [next] = await spares(c);
        expect(next).toBeDefined();
        expect(next).not.toBe(ready);
        expect(syncedIds(rest.at(-1)?.observation?.probes ?? []).has(next as ServerId)).toBe(true);
        const voters = [...voterIds((await c.config()).members)];
        expect(c.processes.list().map((s) => [s.serverId, s.pid !== undefined])).toEqual([...voters, next as ServerId].sort((a, b) => a - b).map((id) => [id, true]));
      }
      expect(ticks.filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual([]);
    } finally {
      const report = await writer.stop();
      console.info(`writer through two spare swaps: ${report.acknowledged.length} acknowledged, failures ${JSON.stringify(report.failures)}, longest gap ${report.longestGapMs} ms`);
      const alive = await c.config();
      expect(report.acknowledged.length).toBeGreaterThan((Date.now() - writing) / 1000);
      expect(await missingWrites(connectString(alive.members), report.acknowledged)).toEqual([]);
    }
  }, 120_000);
});
