import { initialState } from '../config/state.js';
import { hexVersion, MAX_SERVER_ID, membersBlockingReconfig, type EnsembleConfig } from '../core/index.js';
import { InvalidInputError } from '../errors.js';
import type { ForeignInstance } from '../ports/index.js';
import type { Deps } from './tick.js';

// Adopting a running ensemble: every server of its committed config mapped to its instance by
// address, every prerequisite checked first (a config with a version, ZooKeeper with the reconfig
// fixes on every member, reconfig enabled, our super digest accepted, an instance for every
// address), then the instances recorded and tagged and the state written (ids as they are, new
// ones above them). Nothing about the ensemble changes: no reconfig, no restart; the next tick
// manages it.

export interface AdoptResult {
  readonly cluster: string;
  readonly configVersion: string;
  readonly members: readonly { readonly serverId: number; readonly role: string; readonly host: string; readonly instanceId: string; readonly zone: string }[];
  readonly nextServerId: number;
}

/** `server`: any member's client address (`host:port`), to read the config through. */
export async function adoptEnsemble(deps: Deps, cluster: string, server: string): Promise<AdoptResult> {
  const refuse = refusal(cluster);
  const spec = await deps.store.readSpec(cluster);
  if (await deps.store.readState(cluster)) refuse(`cluster: ${cluster} is managed already (its controller state exists)`);
  const ports = await deps.portsFor(cluster, spec);

  const session = await ports.ensemble.open(server);
  let config: EnsembleConfig;
  try {
    config = await session.readConfig().catch((err: unknown) =>
      refuse(`config: /zookeeper/config on ${server} is not a dynamic config with a version (${(err as Error).message}); start the servers with reconfigEnabled=true and a dynamicConfigFile`),
    );
    const probes = await ports.probe.probe(config.members.map((m) => ({ serverId: m.serverId, host: m.clientHost })));
    const silent = probes.filter((p) => p.result.status !== 'serving').map((p) => `${p.serverId} (${p.result.status})`);
    if (silent.length > 0) refuse(`members: ${silent.join(', ')} did not answer as serving; adopt needs every member up to check its version`);
    const old = membersBlockingReconfig(probes);
    if (old.length > 0) refuse(`version: ${old.map((o) => `server ${o.serverId} runs ${o.version}`).join(', ')}; reconfig needs ZooKeeper 3.5.9+ or 3.6.2+`);
    const access = await session.reconfigAccess();
    if (access === 'reconfig-disabled') refuse('reconfigEnabled: the ensemble refuses reconfig; set reconfigEnabled=true on every server (a rolling restart) and adopt again');
    if (access === 'standalone') refuse(`config: ${server} runs standalone; only an ensemble (standaloneEnabled=false or several participants) can be reconfigured`);
    if (access === 'digest-rejected') refuse(`superPassword: the ensemble does not take the super password stored for ${cluster} as its super user; its servers must have -Dzookeeper.DigestAuthenticationProvider.superDigest of that password`);
  } finally {
    await session.close();
  }

  // Instances of its own, other than this ensemble's (tagged by an adopt that was interrupted):
  // the cluster runs servers the controller launched, and is no one's to adopt.
  const own = (await ports.fleet.list()).filter((i) => i.state !== 'terminated' && !config.members.some((m) => m.host === i.host));
  if (own.length > 0) refuse(`cluster: ${cluster} has instances of its own already (${own.map((i) => i.instanceId).join(', ')}); adopt takes over an ensemble the controller never ran`);
  const found = await ports.fleet.findByAddress(config.members.map((m) => m.host));
  const missing = config.members.filter((m) => !found.has(m.host));
  if (missing.length > 0) refuse(`instances: no running instance at ${missing.map((m) => `${m.host} (server ${m.serverId})`).join(', ')}`);
  const servers = config.members.map((m) => ({ serverId: m.serverId, role: m.role, instance: found.get(m.host) as ForeignInstance }));
  const unknownZones = servers.filter((s) => !spec.zones.some((z) => z.name === s.instance.zone));
  if (unknownZones.length > 0) refuse(`zones: ${unknownZones.map((s) => `server ${s.serverId} is in ${s.instance.zone}`).join(', ')}, which the spec does not list`);
  const nextServerId = Math.max(...config.members.map((m) => m.serverId)) + 1;
  if (nextServerId > MAX_SERVER_ID) refuse(`serverId: the ensemble uses id ${nextServerId - 1}; the controller needs a free id up to ${MAX_SERVER_ID} for the next server`);

  const lease = await deps.store.acquireLease(cluster, `${deps.holder}:adopt`, deps.leaseTtlMs, deps.clock());
  if (!lease) return refuse(`cluster: another controller holds the lease of ${cluster}`);
  try {
    await ports.fleet.adopt(servers);
    await deps.store.writeState(cluster, initialState(cluster, nextServerId), lease);
  } finally {
    await deps.store.releaseLease(lease);
  }
  return {
    cluster,
    configVersion: hexVersion(config.version),
    members: servers.map((s) => ({ serverId: s.serverId, role: s.role, host: s.instance.host, instanceId: s.instance.instanceId, zone: s.instance.zone })),
    nextServerId,
  };
}

function refusal(cluster: string): (why: string) => never {
  return (why) => {
    throw new InvalidInputError(`adopt ${cluster}`, [why]);
  };
}
