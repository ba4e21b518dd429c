import { initialState } from '../config/state.js';
import { hasQuorum, initialZone, memberAt, syncedIds, voterIds, type ConfigMember, type Instance, type ServerId } from '../core/index.js';
import { InvalidInputError, LeaseLostError, toControllerError } from '../errors.js';
import type { Lease } from '../ports/index.js';
import { launchRequest } from './launchRequest.js';
import type { ClusterPorts, Deps } from './tick.js';

// Creating a cluster: its initial voters (ids 1..n, spread over the zones) each booted with the
// whole initial membership, all participants (ZooKeeper's way to start an ensemble), then, once a
// quorum serves, the state, which marks the cluster created; the tick that follows publishes the
// connect strings.
//
// Never a fresh bootstrap over existing data: a cluster with state, or with any instance that is
// not one of this creation's voters starting at its reserved address, is refused. A creation
// interrupted anywhere is finished by running it again: the addresses come back from the fleet's
// reservation, the launches are idempotent per operation (`create-<id>`), and nothing is written
// until a quorum serves.

export type CreateOutcome =
  /** A quorum serves the initial config; the state is written. */
  | 'created'
  /** Servers were launched, or are starting: run it again (the CLI waits; a tick's next run does). */
  | 'starting'
  /** Another controller holds the cluster's lease. */
  | 'lease-held';

export interface CreateResult {
  readonly cluster: string;
  readonly outcome: CreateOutcome;
  readonly why: string;
  /** The initial members, at their addresses. */
  readonly members: readonly ConfigMember[];
}

/** One step of a creation: launches what is missing, and writes the state once a quorum serves.
 * `begun`: an earlier step of this same creation passed the checks; a state found now was written
 * by a tick that saw its quorum serve first (it manages the cluster from then on). */
export async function createStep(deps: Deps, cluster: string, options: { begun?: boolean } = {}): Promise<CreateResult> {
  const spec = await deps.store.readSpec(cluster);
  const stored = await deps.store.readState(cluster);
  if (stored && !options.begun) {
    throw new InvalidInputError(`create ${cluster}`, [`cluster: ${cluster} was created before (its controller state exists); create never starts an ensemble over existing data`]);
  }
  const ports = await deps.portsFor(cluster, spec);
  const ids: ServerId[] = Array.from({ length: spec.voters.desired }, (_, i) => i + 1);
  const servers = ids.map((serverId) => ({ serverId, zone: initialZone(spec, serverId) }));
  const instances = await ports.fleet.list();
  if (stored) {
    const members = instances.filter((i) => ids.includes(i.serverId) && i.state !== 'terminated').map((i) => memberAt(spec.zookeeper, i.serverId, i.host, 'voter'));
    return { cluster, outcome: 'created', why: `a tick recorded ${cluster} while it was being created, and manages it from now on`, members };
  }
  refuseOthers(cluster, instances, ids);

  const lease = await deps.store.acquireLease(cluster, `${deps.holder}:create`, deps.leaseTtlMs, deps.clock());
  if (!lease) return { cluster, outcome: 'lease-held', why: 'another controller holds the lease', members: [] };
  let members: ConfigMember[];
  try {
    const reservation = await ports.fleet.reserveAddresses(servers, spec.zones);
    members = servers.map((s) => memberAt(spec.zookeeper, s.serverId, reservation.get(s.serverId) ?? '', 'voter'));
    refuseMoved(cluster, instances, members);
    const missing = servers.filter((s) => !instances.some((i) => i.serverId === s.serverId));
    await fenced(deps, lease);
    const launched = await Promise.allSettled(
      missing.map(async (s) => ports.fleet.launch(await launchRequest(spec, ports, { ...s, role: 'voter', operationId: `create-${s.serverId}` }, { kind: 'initial', members }, reservation))),
    );
    const failed = launched.flatMap((r, i) => (r.status === 'rejected' ? [`server ${missing[i]?.serverId}: ${toControllerError(r.reason).message}`] : []));
    if (failed.length > 0) deps.log.warn(`create ${cluster}: launches failed; running create again retries them`, { failed: failed.join('; ') });

    const serving = await servingQuorum(ports, members);
    if (!serving.quorum) {
      const why = `${serving.synced.length} of ${members.length} voters serve (${serving.synced.join(', ') || 'none'}); waiting for a quorum${failed.length > 0 ? `; ${failed.join('; ')}` : ''}`;
      return { cluster, outcome: 'starting', why, members };
    }
    await deps.store.writeState(cluster, initialState(cluster, ids.length + 1), lease);
  } finally {
    await deps.store.releaseLease(lease);
  }
  return { cluster, outcome: 'created', why: `a quorum of the ${ids.length} initial voters serves; the controller manages ${cluster} from now on`, members };
}

/** Any instance but an initial voter's (terminated ones too: their launch tokens would hand the
 * dead instance back) means the cluster has, or had, servers of its own. */
function refuseOthers(cluster: string, instances: readonly Instance[], ids: readonly ServerId[]): void {
  const others = instances.filter((i) => !ids.includes(i.serverId) || !['pending', 'running'].includes(i.state));
  if (others.length === 0) return;
  const listed = others.map((i) => `server ${i.serverId} (${i.instanceId}, ${i.state})`).join(', ');
  throw new InvalidInputError(`create ${cluster}`, [
    `instances: ${cluster} has servers that are not a creation under way: ${listed}; create never starts an ensemble over existing servers (adopt a running ensemble; terminated instances stay listed for about an hour)`,
  ]);
}

/** A resumed creation's servers must still be where the reservation says. */
function refuseMoved(cluster: string, instances: readonly Instance[], members: readonly ConfigMember[]): void {
  const moved = instances.filter((i) => i.host !== '' && members.some((m) => m.serverId === i.serverId && m.host !== i.host));
  if (moved.length === 0) return;
  throw new InvalidInputError(`create ${cluster}`, [`instances: ${moved.map((i) => `server ${i.serverId} runs at ${i.host}`).join(', ')}, not at its reserved address; terminate the cluster's instances and create it again`]);
}

async function fenced(deps: Deps, lease: Lease): Promise<void> {
  if (!(await deps.store.holdsLease(lease, deps.clock()))) throw new LeaseLostError(lease.cluster, lease.token, 'another controller (or nobody)');
}

/** Whether a quorum of the initial voters serves. */
async function servingQuorum(ports: ClusterPorts, members: readonly ConfigMember[]): Promise<{ quorum: boolean; synced: ServerId[] }> {
  const probes = await ports.probe.probe(members.map((m) => ({ serverId: m.serverId, host: m.clientHost })));
  const synced = [...syncedIds(probes)].sort((a, b) => a - b);
  return { quorum: hasQuorum(voterIds(members), synced), synced };
}
