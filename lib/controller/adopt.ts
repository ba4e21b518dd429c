import { initialState } from '../config/state.js';
import { FOUR_LETTER_WORDS, hexVersion, leaderOf, MAX_ALLOCATED_SERVER_ID, membersBlockingReconfig, sessionOwner, type EnsembleConfig, type Role, type ServerId } from '../core/index.js';
import { InvalidInputError, LeaseHeldError, toControllerError } from '../errors.js';
import type { Fleet, ForeignInstance, ZonePlacement } from '../ports/index.js';
import type { Deps } from './tick.js';

// Adopting a running ensemble: every server of its committed config mapped to its instance by
// address, every prerequisite checked first (a config with a version, ZooKeeper with the reconfig
// fixes on every member, reconfig enabled, our super digest accepted, an instance for every
// address), then the instances recorded and tagged and the state written (ids as they are; new
// ones above every member and every owner of a live session). Nothing about the ensemble changes:
// no reconfig, no restart; the next tick manages it. The super password goes out last, to a
// member whose instance was found.

export interface AdoptResult {
  readonly cluster: string;
  readonly configVersion: string;
  readonly members: readonly { readonly serverId: number; readonly role: string; readonly host: string; readonly instanceId: string; readonly zone: string }[];
  readonly nextServerId: number;
}

/** The four-letter words the controller needs on every member (lib/core FOUR_LETTER_WORDS): a
 * server without them answers "... is not in the whitelist". */
const NOT_WHITELISTED = /(\w+) is not executed because it is not in the whitelist/;

/** `server`: any member's client address (`host:port`), to read the config through. */
export async function adoptEnsemble(deps: Deps, cluster: string, server: string): Promise<AdoptResult> {
  const refuse = refusal(cluster);
  if (!/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(server)) refuse(`server: must be a member's client address as host:port, e.g. 10.0.1.12:2181 (got ${JSON.stringify(server)})`);
  const spec = await deps.store.readSpec(cluster);
  if (await deps.store.readState(cluster)) refuse(`cluster: ${cluster} is managed already (its controller state exists)`);
  const ports = await deps.portsFor(cluster, spec);

  // Read (no credentials) and check everything the servers can show before the password goes anywhere.
  const session = await ports.ensemble.open(server);
  try {
    const config = await session.readConfig().catch((err: unknown) =>
      refuse(`config: /zookeeper/config on ${server} is not a dynamic config with a version (${toControllerError(err).message}); start the servers with reconfigEnabled=true and a dynamicConfigFile`),
    );
    if (!config.members.some((m) => `${m.clientHost}:${m.clientPort}` === server)) {
      refuse(`server: ${server} is not the client address of a member (${config.members.map((m) => `${m.serverId}@${m.clientHost}:${m.clientPort}`).join(', ')})`);
    }
    const probes = await ports.probe.probe(config.members.map((m) => ({ serverId: m.serverId, host: m.clientHost })));
    const unlisted = probes.flatMap((p) => (p.result.status === 'bad-answer' && NOT_WHITELISTED.test(p.result.detail) ? [`server ${p.serverId} refuses ${NOT_WHITELISTED.exec(p.result.detail)?.[1]}`] : []));
    if (unlisted.length > 0) refuse(`4lw.commands.whitelist: ${unlisted.join(', ')}; every server needs ${FOUR_LETTER_WORDS.join(',')} (a rolling restart)`);
    const silent = probes.filter((p) => p.result.status !== 'serving').map((p) => `${p.serverId} (${p.result.status})`);
    if (silent.length > 0) refuse(`members: ${silent.join(', ')} did not answer as serving; adopt needs every member up to check its version`);
    const old = membersBlockingReconfig(probes);
    if (old.length > 0) refuse(`version: ${old.map((o) => `server ${o.serverId} runs ${o.version}`).join(', ')}; reconfig needs ZooKeeper 3.5.9+ or 3.6.2+`);
    const servers = await instancesOf(cluster, ports.fleet, config, spec.zones);
    // Ids a removed server left sessions under are not free: above every member and every owner.
    const leader = config.members.find((m) => m.serverId === leaderOf(probes));
    if (!leader) return refuse('members: no one server says it leads; adopt reads the live sessions from the leader');
    const sessions = await ports.probe.sessions({ serverId: leader.serverId, host: leader.clientHost }).catch((err: unknown) =>
      refuse(`4lw.commands.whitelist: the leader's session list (dump) could not be read: ${toControllerError(err).message}`),
    );
    const nextServerId = Math.max(...config.members.map((m) => m.serverId), ...sessions.map(sessionOwner)) + 1;
    if (nextServerId > MAX_ALLOCATED_SERVER_ID) refuse(`serverId: ids up to ${nextServerId - 1} are in use; the controller needs a free id up to ${MAX_ALLOCATED_SERVER_ID}`);

    const access = await session.reconfigAccess();
    if (access === 'reconfig-disabled') refuse('reconfigEnabled: the ensemble refuses reconfig; set reconfigEnabled=true on every server (a rolling restart) and adopt again');
    if (access === 'standalone') refuse(`config: ${server} runs standalone; only an ensemble (standaloneEnabled=false or several participants) can be reconfigured`);
    if (access === 'digest-rejected') refuse(`superPassword: the ensemble does not take the super password stored for ${cluster} as its super user; its servers must have -Dzookeeper.DigestAuthenticationProvider.superDigest of that password`);

    const lease = await deps.store.acquireLease(cluster, `${deps.holder}:adopt`, deps.leaseTtlMs, deps.clock());
    if (!lease) throw new LeaseHeldError(cluster, 'adopt');
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
  } finally {
    await session.close();
  }
}

/** Each member's instance, found by its address: running, one per address, in the spec's zones. */
async function instancesOf(cluster: string, fleet: Fleet, config: EnsembleConfig, zones: readonly ZonePlacement[]): Promise<{ serverId: ServerId; role: Role; instance: ForeignInstance }[]> {
  const refuse = refusal(cluster);
  // Instances of its own, other than this ensemble's (tagged by an adopt that was interrupted):
  // the cluster runs servers the controller launched, and is no one's to adopt.
  const own = (await fleet.list()).filter((i) => i.state !== 'terminated' && !config.members.some((m) => m.host === i.host));
  if (own.length > 0) refuse(`cluster: ${cluster} has instances of its own already (${own.map((i) => i.instanceId).join(', ')}); adopt takes over an ensemble the controller never ran`);
  const found = await fleet.findByAddress(config.members.map((m) => m.host), zones);
  return config.members.map((m) => {
    const instance = found.get(m.host);
    if (!instance) return refuse(`instances: no running instance at ${m.host} (server ${m.serverId}) in the spec's subnets`);
    if (instance.state !== 'running') refuse(`instances: ${instance.instanceId} at ${m.host} (server ${m.serverId}) is ${instance.state}`);
    if (!zones.some((z) => z.name === instance.zone)) refuse(`zones: server ${m.serverId} is in ${instance.zone}, which the spec does not list`);
    return { serverId: m.serverId, role: m.role, instance };
  });
}

function refusal(cluster: string): (why: string) => never {
  return (why) => {
    throw new InvalidInputError(`adopt ${cluster}`, [why]);
  };
}
