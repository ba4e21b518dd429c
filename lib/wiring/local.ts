import { hostname } from 'node:os';
import { FileStateStore, FileSuperPasswords, LocalFleet, MemoryMetrics, processFleetFor } from '../adapters/local/index.js';
import type { Deps } from '../controller/index.js';
import type { Log, SuperPasswords, SuperUser } from '../ports/index.js';
import { superDigest, zooKeeperEnsemble, zooKeeperProbe } from '../zk/index.js';

// Local mode's dependencies: files for state, processes for servers, memory for metrics, and the
// same ZooKeeper probe and admin code AWS uses.

export interface LocalDeps extends Deps {
  readonly store: FileStateStore;
  readonly metrics: MemoryMetrics;
  readonly load: MemoryMetrics;
}

export const PROBE_TIMEOUT_MS = 1500;
export const ADMIN_TIMEOUT_MS = 5000;

export function buildLocalDeps(options: { home: string; log: Log; holder?: string; leaseTtlMs?: number }): LocalDeps {
  const store = new FileStateStore(options.home);
  const passwords = new FileSuperPasswords(store);
  const metrics = new MemoryMetrics(options.log);
  return {
    store,
    metrics,
    load: metrics,
    log: options.log,
    holder: options.holder ?? `${hostname()}:${process.pid}`,
    leaseTtlMs: options.leaseTtlMs ?? 120_000,
    clock: () => Date.now(),
    async portsFor(cluster, spec) {
      const superUser = superUserOf(passwords, cluster);
      return {
        fleet: new LocalFleet(processFleetFor(store, cluster, spec), cluster),
        probe: zooKeeperProbe({ timeoutMs: PROBE_TIMEOUT_MS, via: 'four-letter-words', clientPort: spec.zookeeper.clientPort, adminPort: spec.zookeeper.adminPort }),
        ensemble: zooKeeperEnsemble({ superPassword: superUser.password, timeoutMs: ADMIN_TIMEOUT_MS }),
        superUser,
      };
    },
  };
}

/** The cluster's super user, its password read only when a launch or a reconfig needs it. */
export function superUserOf(passwords: SuperPasswords, cluster: string): SuperUser {
  const password = (): Promise<string> => passwords.read(cluster);
  return { password, digest: async () => superDigest(await password()) };
}
