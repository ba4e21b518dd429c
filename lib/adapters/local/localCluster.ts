import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../../config/parse.js';
import type { ClusterSpec } from '../../config/spec.js';
import { initialState, type ControllerState } from '../../config/state.js';
import { initialZone, memberAt, renderServerFiles, type ServerId } from '../../core/index.js';
import { InvalidInputError } from '../../errors.js';
import type { Log } from '../../ports/index.js';
import { superDigest } from '../../zk/auth.js';
import type { FileStateStore } from './fileStateStore.js';
import { ProcessFleet } from './processFleet.js';
import { findJava, findZooKeeper } from './zookeeperInstall.js';

// A local cluster's life outside the controller: created once (a brand-new ensemble is an
// operator's act, never the controller's), and resumed after a stop by restarting each server
// from the files ZooKeeper itself last rewrote.

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

/** Writes the spec and starts its initial voters (ids 1..n); the state starts with ids n+1 on. */
export async function createLocalCluster(store: FileStateStore, spec: ClusterSpec, settings: LocalSettings, now: number): Promise<ControllerState> {
  const cluster = spec.cluster;
  if ((await store.listClusters()).includes(cluster)) throw new InvalidInputError('create cluster', [`cluster: ${JSON.stringify(cluster)} exists already`]);
  mkdirSync(store.clusterDir(cluster), { recursive: true });
  writeFileSync(join(store.clusterDir(cluster), 'local.json'), JSON.stringify(settings));
  const fleet = processFleetFor(store, cluster, spec);
  const password = await store.readSuperPassword(cluster);
  const ids: ServerId[] = Array.from({ length: spec.voters.desired }, (_, i) => i + 1);
  const zoneOf = (id: ServerId): string => initialZone(spec, id);
  const members = ids.map((id) => memberAt(spec.zookeeper, id, fleet.placementOf(id).host, 'voter'));
  await Promise.all(
    ids.map((id) =>
      fleet.launch(id, (p) => {
        writeFileSync(join(p.configDir, 'zone'), zoneOf(id));
        return renderServerFiles({
          cluster,
          settings: spec.zookeeper,
          allowEvenVoters: spec.voters.allowEven,
          serverId: id,
          host: p.host,
          configDir: p.configDir,
          dataDir: p.dataDir,
          superDigest: superDigest(password),
          membership: { kind: 'initial', members },
        });
      }),
    ),
  );
  await store.writeSpec(cluster, spec);
  const state: ControllerState = initialState(cluster, ids.length + 1);
  const lease = await store.acquireLease(cluster, `create:${process.pid}`, 10_000, now);
  if (!lease) throw new InvalidInputError('create cluster', [`cluster: ${JSON.stringify(cluster)} is being created by another process`]);
  try {
    await store.writeState(cluster, state, lease);
  } finally {
    await store.releaseLease(lease);
  }
  return state;
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
