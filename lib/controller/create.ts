import { createHash } from 'node:crypto';
import { initialState } from '../config/state.js';
import { hasQuorum, initialZone, memberAt, renderDynamicConfig, sameMembers, syncedIds, voterIds, type ConfigMember, type Instance, type ServerId } from '../core/index.js';
import { InvalidInputError, LeaseLostError, toControllerError } from '../errors.js';
import type { AddressReservation } from '../ports/index.js';
import { fenceFor } from './fence.js';
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
// reservation, the launches are idempotent per operation (`create-<id>-<creation>`), and nothing
// is written until a quorum serves the creation's own config.

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
  try {
    // A tick may have recorded the cluster between our read and our claim.
    if (await deps.store.readState(cluster)) return { cluster, outcome: 'lease-held', why: `${cluster} was recorded meanwhile; run create again to see by whom`, members: [] };
    const fence = fenceFor(deps, lease);
    const reservation = await ports.fleet.reserveAddresses(servers, spec.zones);
    const members = servers.map((s) => memberAt(spec.zookeeper, s.serverId, reservedAddress(reservation, s.serverId), 'voter'));
    const creation = creationOf(cluster, reservation, members, deps.clock());
    refuseMoved(cluster, instances, members);
    const missing = servers.filter((s) => !instances.some((i) => i.serverId === s.serverId));
    const launched = await Promise.allSettled(
      missing.map(async (s) => {
        const request = await launchRequest(spec, ports, { ...s, role: 'voter', operationId: `create-${s.serverId}-${creation}` }, { kind: 'initial', members }, { ...reservation, creation });
        await fence('launch');
        return ports.fleet.launch(request);
      }),
    );
    const failed = launched.flatMap((r, i) => (r.status === 'rejected' ? [`server ${missing[i]?.serverId}: ${toControllerError(r.reason).message}`] : []));
    if (failed.length > 0) deps.log.warn(`create ${cluster}: launches failed; running create again retries them`, { failed: failed.join('; ') });

    const serving = await servingQuorum(ports, members);
    if (!serving.quorum) {
      const why = `${serving.synced.length} of ${members.length} voters serve (${serving.synced.join(', ') || 'none'}); waiting for a quorum${failed.length > 0 ? `; ${failed.join('; ')}` : ''}`;
      return { cluster, outcome: 'starting', why, members };
    }
    await refuseOtherEnsemble(cluster, ports, members, serving.synced);
    await deps.store.writeState(cluster, initialState(cluster, ids.length + 1), lease);
    return { cluster, outcome: 'created', why: `a quorum of the ${ids.length} initial voters serves; the controller manages ${cluster} from now on`, members };
  } catch (err) {
    if (err instanceof LeaseLostError) return { cluster, outcome: 'lease-held', why: err.message, members: [] };
    throw err;
  } finally {
    await deps.store.releaseLease(lease);
  }
}

function reservedAddress(reservation: AddressReservation, serverId: ServerId): string {
  const address = reservation.addresses.get(serverId);
  if (address === undefined) throw new InvalidInputError('reserve addresses', [`addresses: none reserved for server ${serverId}`]);
  return address;
}

/** The creation's label, `<start>.<fingerprint of its membership>`: in every launch's operation id
 * (so a cluster created again under the same name never sends an earlier creation's ClientToken)
 * and kept with the servers, so a resumed creation must boot the membership its first servers
 * booted with. */
function creationOf(cluster: string, reservation: AddressReservation, members: readonly ConfigMember[], now: number): string {
  const fingerprint = createHash('sha256').update(renderDynamicConfig(members)).digest('hex').slice(0, 8);
  if (reservation.creation === undefined) return `${now.toString(36)}.${fingerprint}`;
  if (reservation.creation.split('.')[1] !== fingerprint) {
    throw new InvalidInputError(`create ${cluster}`, [
      `spec: the servers already launched (creation ${reservation.creation}) were booted with other members than the spec now gives (voters.desired, zones or zookeeper ports changed): put the spec back, or terminate those instances and create again`,
    ]);
  }
  return reservation.creation;
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

/** The config the quorum serves must be this creation's: servers of another ensemble answering at
 * the reserved addresses (a leftover with the same ids) are never recorded as this cluster. */
async function refuseOtherEnsemble(cluster: string, ports: ClusterPorts, members: readonly ConfigMember[], synced: readonly ServerId[]): Promise<void> {
  const through = members.find((m) => synced.includes(m.serverId));
  if (!through) return;
  const session = await ports.ensemble.open(`${through.clientHost}:${through.clientPort}`);
  try {
    const config = await session.readConfig();
    if (!sameMembers(config.members, members)) {
      throw new InvalidInputError(`create ${cluster}`, [`config: the servers at the reserved addresses serve another ensemble (${config.members.map((m) => `${m.serverId}@${m.host}`).join(', ')}), not this creation's`]);
    }
  } finally {
    await session.close();
  }
}

/** Whether a quorum of the initial voters serves. */
async function servingQuorum(ports: ClusterPorts, members: readonly ConfigMember[]): Promise<{ quorum: boolean; synced: ServerId[] }> {
  const probes = await ports.probe.probe(members.map((m) => ({ serverId: m.serverId, host: m.clientHost })));
  const synced = [...syncedIds(probes)].sort((a, b) => a - b);
  return { quorum: hasQuorum(voterIds(members), synced), synced };
}
