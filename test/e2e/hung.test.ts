import { describe, expect, it } from 'vitest';
import { syncedIds } from '../../lib/core/index.js';
import { atRest, startLocalCluster } from '../support/localCluster.js';

// A server that hangs (alive, answering nothing: SIGSTOP) is the failure a liveness check misses.
// It must cost the controller only its probe deadline, never a config read, and be replaced like a
// dead one once it has missed enough probes; waking it up afterwards changes nothing (it was stopped).

describe('a hung voter', () => {
  it('is replaced after failAfterSeconds, every tick still reading the config, and stays gone when it would wake', async () => {
    const c = await startLocalCluster({ detection: { failAfterSeconds: 5 } });
    const leader = (await c.tick()).observation?.probes.find((p) => p.result.status === 'serving' && p.result.health.mode === 'leader')?.serverId;
    const victim = [1, 2, 3].find((id) => id !== leader) as number;
    const pid = c.processes.list().find((s) => s.serverId === victim)?.pid;
    if (pid === undefined) throw new Error(`server ${victim} has no process`);

    const hungAt = performance.now();
    process.kill(pid, 'SIGSTOP');
    try {
      const results = await c.tickUntil(
        '3 synced voters without the hung one',
        (r) => atRest(r, 3) && !(r.observation?.config.readable && r.observation.config.config.members.some((m) => m.serverId === victim)),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const replacedMs = Math.round(performance.now() - hungAt);
      const unreadable = results.filter((r) => !r.observation?.config.readable).map((r) => r.why);
      expect(unreadable).toEqual([]);
      expect(results.filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual([]);
      const slowest = Math.max(...results.map((r) => r.durationMs));
      console.info(`hung voter replaced in ${replacedMs} ms (failAfterSeconds 5) over ${results.length} ticks; slowest tick ${slowest} ms`);
      expect(syncedIds(results.at(-1)?.observation?.probes ?? []).size).toBe(3);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGCONT'); // woken up: were it still ours, it would rejoin now
    }
    expect(alive(pid)).toBe(false);
    expect((await c.tick()).outcome).toBe('steady');
  }, 90_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
