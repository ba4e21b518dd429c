import { describe, expect, it } from 'vitest';
import { allocateServerId, holdsOn, memberAt, sessionOwner, type EnsembleConfig, type IdInputs, type ServerId } from '../../lib/core/index.js';
import { ZooKeeperSession, zooKeeperProbe } from '../../lib/zk/index.js';
import { startEnsemble, type TestEnsemble } from '../support/ensemble.js';
import { waitFor } from '../support/wait.js';
import { missingWrites, startWriter } from '../support/writer.js';

// Server id reuse against real ZooKeeper: observer 4 is removed and killed, its files deleted,
// while a client keeps the session it opened on 4 (it fails over to the voters). The allocator,
// fed the leader's `dump`, refuses 4 while that session lives and hands 4 out once it is closed;
// the new server 4 joins and a writer loses nothing.

const SYNC_TIMEOUT_MS = 20_000;

async function leaderOf(ensemble: TestEnsemble, ids: readonly ServerId[]): Promise<ServerId> {
  return waitFor('a leader', async () => ensemble.leader(ids), { timeoutMs: SYNC_TIMEOUT_MS });
}

async function inputs(ensemble: TestEnsemble, config: EnsembleConfig, removedAt: bigint): Promise<IdInputs> {
  const leader = await leaderOf(ensemble, [1, 2, 3]);
  const probe = zooKeeperProbe({ timeoutMs: 2000, via: 'four-letter-words', clientPort: ensemble.settings.clientPort, adminPort: ensemble.settings.adminPort });
  const sessionIds = await probe.sessions({ serverId: leader, host: ensemble.hostOf(leader) });
  const srvr = await ensemble.srvr(leader);
  const instances = ensemble.fleet.list().map((s) => ({ serverId: s.serverId, instanceId: `local-${s.serverId}`, host: ensemble.hostOf(s.serverId), state: s.pid === undefined ? ('stopped' as const) : ('running' as const), zone: 'local' }));
  return {
    config,
    instances,
    committedZxid: srvr.serving ? srvr.zxid : 0n,
    sessions: { readable: true, leader, sessionIds },
    nextServerId: 5,
    retiredIds: [{ serverId: 4, configVersion: removedAt.toString(16) }],
    operation: undefined,
    now: Date.now(),
  };
}

describe('server id reuse on a real ensemble', () => {
  it('keeps id 4 while a session it created lives, then reuses it: the new server 4 joins and no write is lost', async () => {
    const ensemble = await startEnsemble({ voters: 3, observers: 1 });
    const writer = await startWriter(ensemble.connectString([1, 2, 3]), { ratePerSecond: 50 });
    const admin = await ensemble.admin([1, 2, 3]);
    // A client whose session server 4 created (the library picks a host at random: retry until 4).
    let client: ZooKeeperSession | undefined;
    try {
      client = await waitFor('a session created by server 4', async () => {
        const s = await ZooKeeperSession.open({ connectString: ensemble.connectString([4, 1, 2, 3]), timeoutMs: 5000, sessionTimeoutMs: 20_000 });
        if (sessionOwner(s.sessionId) === 4) return s;
        await s.close();
        return undefined;
      }, { timeoutMs: SYNC_TIMEOUT_MS });
      await client.create('/held-by-a-client-of-4', Buffer.from('x'), 'ephemeral');

      // Remove 4, confirm a write, stop it hard and delete its files: the fleet no longer lists it.
      let config = await admin.readConfig();
      const removal = await admin.reconfig({ kind: 'incremental', add: [], remove: [4], fromVersion: config.version }, config);
      expect(removal.outcome).toBe('committed');
      config = removal.config;
      const removedAt = config.version;
      await admin.confirmWrite();
      await ensemble.fleet.stop(4, 'kill');
      ensemble.fleet.removeFiles(4);
      expect(ensemble.fleet.list().map((s) => s.serverId)).toEqual([1, 2, 3]);

      // The client moved to a voter; its session, created by 4, lives on.
      const moved = client;
      await waitFor('the client to fail over to a voter, its ephemeral node still there', async () => ((await moved.exists('/held-by-a-client-of-4').catch(() => false)) ? true : undefined), { timeoutMs: SYNC_TIMEOUT_MS });
      const held = await inputs(ensemble, config, removedAt);
      expect(held.sessions?.readable && held.sessions.sessionIds.filter((s) => sessionOwner(s) === 4)).toEqual([client.sessionId]);
      expect(holdsOn(4, held).map((h) => h.kind)).toEqual(['live-sessions']);
      expect(allocateServerId(held)).toMatchObject({ kind: 'chosen', serverId: 5 });

      // Once the session is closed, the leader lists none of 4's: 4 comes back.
      await client.close();
      client = undefined;
      const free = await waitFor('the leader to list no session of server 4', async () => {
        const x = await inputs(ensemble, config, removedAt);
        return x.sessions?.readable && x.sessions.sessionIds.every((s) => sessionOwner(s) !== 4) ? x : undefined;
      }, { timeoutMs: SYNC_TIMEOUT_MS });
      expect(allocateServerId(free)).toMatchObject({ kind: 'chosen', serverId: 4, reused: true });

      // The new server 4 boots from the committed config plus itself, syncs, and is added.
      await ensemble.launch(4, { kind: 'join', committed: config.members });
      await waitFor('the new server 4 to serve', async () => ((await ensemble.srvr(4).catch(() => undefined))?.serving ? true : undefined), { timeoutMs: SYNC_TIMEOUT_MS });
      const added = await admin.reconfig({ kind: 'incremental', add: [memberAt(ensemble.settings, 4, ensemble.hostOf(4), 'observer')], remove: [], fromVersion: config.version }, config);
      expect(added.outcome).toBe('committed');
      expect(added.config.members.map((m) => `${m.serverId}:${m.role}`)).toEqual(['1:voter', '2:voter', '3:voter', '4:observer']);
      await waitFor('server 4 to observe', async () => ((await ensemble.srvr(4).catch(() => undefined)) as { mode?: string } | undefined)?.mode === 'observer' || undefined, { timeoutMs: SYNC_TIMEOUT_MS });

      await writer.acknowledgesMore(10, SYNC_TIMEOUT_MS);
      const report = await writer.stop();
      expect(await missingWrites(ensemble.connectString([4]), report.acknowledged)).toEqual([]);
    } finally {
      await client?.close();
      await writer.stop().catch(() => undefined);
      await admin.close();
      await ensemble.stop();
    }
  }, 120_000);
});
