import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJava, findZooKeeper, ProcessFleet } from '../../lib/adapters/local/index.js';
import { ZooKeeperSettingsSchema } from '../../lib/config/index.js';
import { connectString, leaderOf, memberAt, renderServerFiles, voterIds, type ConfigMember, type Membership, type ServerId } from '../../lib/core/index.js';
import { probeMembers, superDigest } from '../../lib/zk/index.js';
import { startClients, type ClientReport } from './clients.js';
import { freeAddressPrefix } from '../support/addresses.js';
import { benchCluster } from './localCluster.js';

// Disturbance: the same changes (3 -> 5 -> 3 voters, then replace the leader) made two ways while
// clients read and write at a fixed rate: by the controller (dynamic reconfig, one voter per step),
// and the pre-reconfig way (reconfig disabled, every server restarted in turn with a new static
// member list, leader last).

export interface DisturbanceFigures {
  readonly reconfig: ClientReport & { readonly seconds: number };
  readonly rollingRestart: ClientReport & { readonly seconds: number };
}

const WAIT_MS = 60_000;

export async function measureDisturbance(): Promise<DisturbanceFigures> {
  return { reconfig: await byController(), rollingRestart: await byRollingRestart() };
}

async function byController(): Promise<DisturbanceFigures['reconfig']> {
  const c = await benchCluster();
  try {
    const first = await c.tick();
    const initial = first.observation?.config.readable ? first.observation.config.config.members : [];
    const clients = await startClients(connectString(initial));
    const started = performance.now();
    const until = async (what: string, done: (voters: number, steady: boolean) => boolean): Promise<void> => {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const r = await c.tick();
        const members = r.observation?.config.readable ? r.observation.config.config.members : [];
        if (done(voterIds(members).size, r.outcome === 'steady')) return;
        if (Date.now() > deadline) throw new Error(`controller did not reach ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const setVoters = async (n: number): Promise<void> => {
      const spec = await c.deps.store.readSpec(c.spec.cluster);
      await c.deps.store.writeSpec(c.spec.cluster, { ...spec, voters: { ...spec.voters, desired: n } });
    };
    await setVoters(5);
    await until('5 voters', (v, steady) => v === 5 && steady);
    await setVoters(3);
    await until('3 voters', (v, steady) => v === 3 && steady);
    const leader = leaderOf((await c.tick()).observation?.probes ?? []);
    if (leader !== undefined) await c.deps.store.addRequest(c.spec.cluster, { id: `replace-${leader}`, kind: 'replace', serverId: leader, reason: 'bench', at: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const replacedLeader = async (): Promise<boolean> => {
      const r = await c.tick();
      const members = r.observation?.config.readable ? r.observation.config.config.members : [];
      return r.outcome === 'steady' && members.length === 3 && !members.some((m) => m.serverId === leader);
    };
    const deadline = Date.now() + WAIT_MS;
    while (!(await replacedLeader())) {
      if (Date.now() > deadline) throw new Error('controller did not replace the leader');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const now = (await c.tick()).observation;
    const live = now?.config.readable ? now.config.config.members : initial;
    return { ...(await clients.stop(connectString(live))), seconds };
  } finally {
    await c.close();
  }
}

async function byRollingRestart(): Promise<DisturbanceFigures['rollingRestart']> {
  const dir = mkdtempSync(join(tmpdir(), 'zka-rolling-'));
  const settings = ZooKeeperSettingsSchema.parse({ heapMb: 128, preAllocSizeKb: 4096 });
  const fleet = new ProcessFleet({ clusterDir: dir, addressPrefix: await freeAddressPrefix(2181, 7), clientPort: 2181, heapMb: 128, java: findJava(), install: findZooKeeper(), startTimeoutMs: 30_000 });
  const digest = superDigest('bench');
  const member = (id: ServerId): ConfigMember => memberAt(settings, id, fleet.placementOf(id).host, 'voter');
  const start = (id: ServerId, members: readonly ConfigMember[]): Promise<unknown> =>
    fleet.launch(id, (p) => {
      const membership: Membership = { kind: 'initial', members };
      const files = renderServerFiles({ cluster: 'rolling', settings, allowEvenVoters: true, serverId: id, host: p.host, configDir: p.configDir, dataDir: p.dataDir, superDigest: digest, membership });
      return { ...files, zooCfg: files.zooCfg.replace('reconfigEnabled=true', 'reconfigEnabled=false') };
    });
  const serving = async (ids: readonly ServerId[]): Promise<ServerId | undefined> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const probes = await probeMembers(ids.map((id) => ({ serverId: id, host: fleet.placementOf(id).host })), { timeoutMs: 1000, via: 'four-letter-words', clientPort: 2181, adminPort: 8080 });
      if (probes.every((p) => p.result.status === 'serving')) return leaderOf(probes);
      if (Date.now() > deadline) throw new Error(`servers ${ids.join(',')} did not all serve after a restart`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /**
   * Restarts each server of `ids` with the member list, followers first, the leader last. After
   * each restart it waits for every server of `all` to serve, or with `waitFor: 'new-list'` only
   * for those already on the new list: a server still on an old list that lacks a newcomer cannot
   * serve under a leader outside its list, and cannot elect one once its list lost its quorum.
   */
  const roll = async (ids: readonly ServerId[], members: readonly ConfigMember[], all: readonly ServerId[], waitFor: 'all' | 'new-list' = 'all'): Promise<void> => {
    const leader = await serving(all);
    const onNewList = all.filter((id) => !ids.includes(id));
    for (const id of [...ids].sort((a, b) => Number(a === leader) - Number(b === leader))) {
      await fleet.stop(id, 'graceful');
      await start(id, members);
      onNewList.push(id);
      await serving(waitFor === 'all' ? all : onNewList);
    }
  };
  try {
    const three = [1, 2, 3].map(member);
    await Promise.all([1, 2, 3].map((id) => start(id, three)));
    await serving([1, 2, 3]);
    const clients = await startClients(connectString(three));
    const started = performance.now();
    const five = [1, 2, 3, 4, 5].map(member);
    await Promise.all([4, 5].map((id) => start(id, five)));
    await roll([1, 2, 3], five, [1, 2, 3, 4, 5]);
    // Shrinking the old way: stop the two (3 of 5 still make a quorum), then roll the rest.
    await Promise.all([4, 5].map((id) => fleet.stop(id, 'graceful')));
    await roll([1, 2, 3], three, [1, 2, 3]);
    const leader = (await serving([1, 2, 3])) ?? 1;
    await fleet.stop(leader, 'kill');
    const next = [...[1, 2, 3].filter((id) => id !== leader), 6];
    const swapped = next.map(member);
    await start(6, swapped);
    // The two survivors run {1,2,3} with one of them gone: restarting either loses that list's
    // quorum, and when 6 wins the election that follows (the highest id at an equal zxid), the other
    // survivor can neither follow 6 (not on its list) nor elect anyone: it serves only once it is
    // restarted with the new list itself (seen in the servers' logs: LOOKING for the whole minute).
    await roll(next.filter((id) => id !== 6), swapped, next, 'new-list');
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    return { ...(await clients.stop(connectString(swapped))), seconds };
  } finally {
    await fleet.stopAll('kill');
    rmSync(dir, { recursive: true, force: true });
  }
}
