import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ZooKeeperSession, ZooKeeperTimeoutError } from '../../lib/zk/index.js';
import { startEnsemble } from '../support/ensemble.js';

// A Lambda (or a test) must be able to exit after a tick: sessions leave no socket or timer behind.

/** Live handles by type, once the event loop has finished closing what was already destroyed. */
async function handles(): Promise<Record<string, number>> {
  await sleep(100);
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) if (name !== 'FSReqCallback') counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

describe('ZooKeeper sessions', () => {
  it('leave no socket or timer behind, whether they connected, failed to connect, or timed out mid-call', async () => {
    const ensemble = await startEnsemble({ voters: 1 });
    try {
      const baseline = await handles();

      const live = await ZooKeeperSession.open({ connectString: ensemble.connectString(), timeoutMs: 3000 });
      await live.create('/a', Buffer.from('1'));
      expect((await live.getData('/a')).data.toString()).toBe('1');
      await live.close();

      const dead = ZooKeeperSession.open({ connectString: '127.0.0.1:1', timeoutMs: 300 });
      await expect(dead).rejects.toThrow(ZooKeeperTimeoutError);
      await expect(dead).rejects.toThrow('connect() on 127.0.0.1:1: no answer within 300 ms');

      // A call that cannot be answered in time: its server is stopped under it.
      const stranded = await ZooKeeperSession.open({ connectString: ensemble.connectString(), timeoutMs: 500 });
      await ensemble.fleet.stop(1, 'kill');
      await expect(stranded.getData('/a')).rejects.toSatisfy((e: unknown) => e instanceof Error && /ConnectionLoss|Timeout/.test(e.name));
      await stranded.close();

      expect(await handles()).toEqual(baseline);
    } finally {
      await ensemble.stop();
    }
  }, 30_000);
});
