import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../../config/parse.js';
import type { ClusterSpec } from '../../config/spec.js';
import type { ServerId } from '../../core/index.js';
import { InvalidInputError } from '../../errors.js';
import type { Log } from '../../ports/index.js';
import type { FileStateStore } from './fileStateStore.js';
import { ProcessFleet } from './processFleet.js';
import { findJava, findZooKeeper } from './zookeeperInstall.js';

// A local cluster's life outside the controller: placed once on its loopback addresses (the
// controller's create starts it; a brand-new ensemble is an operator's act), and resumed after a
// stop by restarting each server from the files ZooKeeper itself last rewrote.

const LocalSettingsSchema = z.object({
  addressPrefix: z.string().regex(/^127\.\d{1,3}\.\d{1,3}$/, 'must be "127.<a>.<b>"'),
});
export type LocalSettings = z.output<typeof LocalSettingsSchema>;

export const LOCAL_START_TIMEOUT_MS = 30_000;

export function readLocalSettings(store: FileStateStore, cluster: string): LocalSettings {
  const path = join(store.clusterDir(cluster), 'local.json');
  if (!existsSync(path)) throw new InvalidInputError(`local cluster ${cluster}`, [`local.json: missing at ${path} (create the cluster with npm start)`]);
  return parseOrThrow(LocalSettingsSchema, JSON.parse(readFileSync(path, 'utf8')), `local settings ${path}`);
}

export function processFleetFor(store: FileStateStore, cluster: string, spec: ClusterSpec): ProcessFleet {
  return new ProcessFleet({
    clusterDir: store.clusterDir(cluster),
    addressPrefix: readLocalSettings(store, cluster).addressPrefix,
    clientPort: spec.zookeeper.clientPort,
    heapMb: spec.zookeeper.heapMb,
    java: findJava(),
    install: findZooKeeper(),
    startTimeoutMs: LOCAL_START_TIMEOUT_MS,
  });
}

/** Where a new local cluster's servers will run (local.json), kept once: a cluster's servers never
 * move. The controller's create then starts them. */
export function placeLocalCluster(store: FileStateStore, cluster: string, settings: LocalSettings): void {
  const path = join(store.clusterDir(cluster), 'local.json');
  if (existsSync(path)) {
    const kept = readLocalSettings(store, cluster);
    if (kept.addressPrefix !== settings.addressPrefix) throw new InvalidInputError(`local cluster ${cluster}`, [`addressPrefix: its servers run on ${kept.addressPrefix}.x (got ${settings.addressPrefix})`]);
    return;
  }
  mkdirSync(store.clusterDir(cluster), { recursive: true });
  writeFileSync(path, JSON.stringify(parseOrThrow(LocalSettingsSchema, settings, 'local settings')));
}

/** Restarts every stopped server of the cluster from its own files; returns the ids restarted. */
export async function resumeLocalCluster(store: FileStateStore, spec: ClusterSpec, log: Log): Promise<ServerId[]> {
  const fleet = processFleetFor(store, spec.cluster, spec);
  const stopped = fleet.list().filter((s) => s.pid === undefined);
  const results = await Promise.allSettled(stopped.map((s) => fleet.restart(s.serverId)));
  results.forEach((r, i) => {
    if (r.status === 'rejected') log.warn(`server ${stopped[i]?.serverId} did not restart`, { error: r.reason as Error });
  });
  return stopped.filter((_, i) => results[i]?.status === 'fulfilled').map((s) => s.serverId);
}

export async function stopLocalCluster(store: FileStateStore, spec: ClusterSpec): Promise<void> {
  await processFleetFor(store, spec.cluster, spec).stopAll('graceful');
}
