import { describe, expect, it } from 'vitest';
import { jsonLog, MemoryMetrics } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { adoptEnsemble, tickCluster, type ClusterPorts, type Deps } from '../../lib/controller/index.js';
import type { Instance, MemberProbe } from '../../lib/core/index.js';
import type { Role } from '../../lib/core/index.js';
import type { ForeignInstance } from '../../lib/ports/index.js';
import { superUserOf } from '../../lib/wiring/local.js';
import { zooKeeperEnsemble, zooKeeperProbe } from '../../lib/zk/index.js';
import { fleetDouble } from '../support/doubles.js';
import { startEnsemble, TEST_PASSWORD, type TestEnsemble } from '../support/ensemble.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';

// Adopting a running ensemble, on real ZooKeeper: every prerequisite is checked against the servers
// themselves (the digest and reconfigEnabled by requests ZooKeeper refuses without changing
// anything), the ensemble is taken over without a reconfig or a restart, and each missing
// prerequisite is refused by name, with nothing written. The fleet is a double that finds an
// instance at each address (EC2's side is tested in ec2Fleet.test.ts and on the AWS test world).

const spec = ClusterSpecSchema.parse({ cluster: 'orders', voters: { min: 3, desired: 3, max: 5 }, zones: [{ name: 'a' }, { name: 'b' }] });

interface Adoption {
  readonly deps: Deps;
  readonly store: MemoryStateStore;
  readonly adopted: { serverId: number; role: Role; instance: ForeignInstance }[];
}

/** Deps over the real ensemble; `hosts` are the addresses the fleet finds instances at. */
async function adoption(e: TestEnsemble, options: { password?: string; hosts?: readonly string[]; probeVersion?: string; sessionOf?: number } = {}): Promise<Adoption> {
  const store = new MemoryStateStore();
  await store.writeSpec('orders', spec);
  const adopted: Adoption['adopted'] = [];
  const known = new Set(options.hosts ?? e.members.map((m) => m.host));
  const instanceAt = (host: string, i: number): ForeignInstance => ({ instanceId: `i-0000000${i}`, host, zone: i % 2 === 0 ? 'a' : 'b', state: 'running' });
  const listed = (): Instance[] => adopted.map((a) => ({ serverId: a.serverId, instanceId: a.instance.instanceId, host: a.instance.host, state: 'running', zone: a.instance.zone }));
  const probe = zooKeeperProbe({ timeoutMs: 2000, via: 'four-letter-words', clientPort: e.settings.clientPort, adminPort: e.settings.adminPort });
  const password = options.password ?? TEST_PASSWORD;
  const ports: ClusterPorts = {
    fleet: fleetDouble({
      list: async () => listed(),
      findByAddress: async (hosts) => new Map(hosts.filter((h) => known.has(h)).map((h, i) => [h, instanceAt(h, i)])),
      adopt: async (servers) => void adopted.push(...servers),
    }),
    probe: {
      // A session a removed server created, still live, as the leader would list it.
      sessions: async (leader) => [...(await probe.sessions(leader)), ...(options.sessionOf ? [BigInt(options.sessionOf) << 56n] : [])],
      probe: async (targets) => (await probe.probe(targets)).map((p): MemberProbe => (options.probeVersion && p.result.status === 'serving' ? { ...p, result: { ...p.result, health: { ...p.result.health, version: options.probeVersion } } } : p)),
    },
    ensemble: zooKeeperEnsemble({ superPassword: async () => password, timeoutMs: 5000 }),
    superUser: superUserOf({ read: async () => password }, 'orders'),
  };
  const log = jsonLog(() => undefined);
  const deps: Deps = { store, metrics: new MemoryMetrics(log), load: new MemoryMetrics(log), log, holder: 'test', leaseTtlMs: 120_000, clock: () => Date.now(), portsFor: async () => ports };
  return { deps, store, adopted };
}

const at = (e: TestEnsemble): string => `${e.hostOf(2)}:${e.settings.clientPort}`;

describe('adopt', () => {
  it('takes over a running ensemble without a reconfig or a restart, and the next tick manages it', async () => {
    const e = await startEnsemble({ voters: 3 });
    const admin = await e.admin();
    const before = await admin.readConfig();
    await admin.close();
    const pids = e.processes();
    const { deps, store, adopted } = await adoption(e);

    const result = await adoptEnsemble(deps, 'orders', at(e));
    expect(result.members.map((m) => [m.serverId, m.role, m.host])).toEqual(e.members.map((m) => [m.serverId, 'voter', m.host]));
    expect(result.nextServerId).toBe(4);
    expect(adopted.map((a) => a.serverId)).toEqual([1, 2, 3]);
    expect((await store.readState('orders'))?.state).toMatchObject({ cluster: 'orders', nextServerId: 4 });

    const tick = await tickCluster(deps, 'orders', { kind: 'schedule' });
    // It observes and records (the leader it saw): no step, nothing acted.
    expect(tick.step?.kind, tick.why).toBe('none');
    expect(tick.outcome).not.toBe('acted');
    const after = await e.admin();
    expect((await after.readConfig()).version).toBe(before.version);
    await after.close();
    expect(e.processes()).toEqual(pids);

    // Adopted once: the cluster now has state.
    await expect(adoptEnsemble(deps, 'orders', at(e))).rejects.toThrow('cluster: orders is managed already (its controller state exists)');

    // New ids start above every owner of a live session: server 7, removed before, left one.
    const withSession = await adoption(e, { sessionOf: 7 });
    expect((await adoptEnsemble(withSession.deps, 'orders', at(e))).nextServerId).toBe(8);
    await e.stop();
  }, 60_000);

  it('refuses, naming the missing prerequisite and writing nothing: a digest the ensemble rejects, an address without an instance, a server too old to reconfig, a server argument that is no address', async () => {
    const e = await startEnsemble({ voters: 3 });
    const refusals: [string, Parameters<typeof adoption>[1], string][] = [
      ['a wrong password', { password: 'not-the-ensemble-password-at-all' }, 'superPassword: the ensemble does not take the super password stored for orders as its super user'],
      ['no instance at one address', { hosts: [e.hostOf(1), e.hostOf(2)] }, `instances: no running instance at ${e.hostOf(3)} (server 3)`],
      ['ZooKeeper 3.5.8', { probeVersion: '3.5.8-f439ca583e70862c3068a1f2a7d4d068eec33315, built on 05/04/2020 15:07 GMT' }, 'version: server 1 runs 3.5.8'],
    ];
    const { deps, store } = await adoption(e);
    await expect(adoptEnsemble(deps, 'orders', 'not-an-address')).rejects.toThrow('server: must be a member\'s client address as host:port, e.g. 10.0.1.12:2181 (got "not-an-address")');
    expect(await store.readState('orders')).toBeUndefined();
    for (const [what, options, message] of refusals) {
      const { deps, store, adopted } = await adoption(e, options);
      await expect(adoptEnsemble(deps, 'orders', at(e)), what).rejects.toThrow(message);
      expect(await store.readState('orders'), what).toBeUndefined();
      expect(adopted, what).toEqual([]);
    }
    await e.stop();
  }, 60_000);

  it('refuses servers that keep the four-letter words the controller needs off, naming the setting', async () => {
    const e = await startEnsemble({ voters: 1, editZooCfg: (zooCfg) => zooCfg.replace(/^4lw\.commands\.whitelist=.*$/m, '4lw.commands.whitelist=srvr,ruok') });
    const { deps, store } = await adoption(e);
    await expect(adoptEnsemble(deps, 'orders', `${e.hostOf(1)}:${e.settings.clientPort}`)).rejects.toThrow('4lw.commands.whitelist: server 1 refuses mntr; every server needs ruok,srvr,mntr,conf,isro,dump');
    expect(await store.readState('orders')).toBeUndefined();
    await e.stop();
  }, 60_000);

  it('refuses an ensemble whose servers run with reconfig disabled', async () => {
    const e = await startEnsemble({ voters: 1, editZooCfg: (zooCfg) => zooCfg.replace('reconfigEnabled=true', 'reconfigEnabled=false') });
    const { deps, store } = await adoption(e);
    await expect(adoptEnsemble(deps, 'orders', `${e.hostOf(1)}:${e.settings.clientPort}`)).rejects.toThrow('reconfigEnabled: the ensemble refuses reconfig; set reconfigEnabled=true on every server');
    expect(await store.readState('orders')).toBeUndefined();
    await e.stop();
  }, 60_000);
});
