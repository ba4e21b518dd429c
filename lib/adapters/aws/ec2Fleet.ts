import { createHash } from 'node:crypto';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { DeploymentIdSchema } from '../../config/env.js';
import { parseOrThrow } from '../../config/parse.js';
import type { Instance, InstanceState, Role, ServerId } from '../../core/index.js';
import { InvalidInputError } from '../../errors.js';
import type { AddressReservation, BootLayout, Fleet, ForeignInstance, LaunchRequest, Log, ZonePlacement } from '../../ports/index.js';
import { AwsCallError, awsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';
import type { RateBudgets } from './rateBudget.js';
import { EC2_CONFIG_DIR, EC2_DATA_DIR, renderUserData, USER_DATA_MAX_BYTES } from './userData.js';

// The Fleet port on EC2: instances launched from the spec's launch template into the subnet of the
// zone the planner chose (the next zone when one has no capacity), tagged with the deployment,
// cluster, server id, role and operation, with user data that writes the files the controller
// rendered, and a ClientToken derived from the deployment and the operation, so a retried tick
// never launches twice; before launching again it looks for the operation's instance by its tag,
// since EC2's token is per zone and a capacity fallback lands elsewhere. Terminated instances are
// listed while EC2 still shows them, so a gone server fails at once.
//
// Ours is an instance this deployment launched: every describe filters on the deployment and the
// cluster tags, and an instance so tagged counts only when its launch marker (the launched-by tag)
// is the ClientToken EC2 recorded at its launch, the token this deployment derives for its
// operation and zone. Tags can be added to any instance later by whoever may create tags; the
// token cannot. The one other way in is adoption: instances of an ensemble the controller did not
// launch, named by instance id in the cluster's adopted record, which only the operator who
// adopted them writes (the record is SSM's; see lib/wiring). Any other instance is reported and
// left alone: never listed (so never probed or trusted as a member), never terminated.

export const TAG = {
  deployment: 'zk-autoscaler:deployment',
  cluster: 'zk-autoscaler:cluster',
  serverId: 'zk-autoscaler:server-id',
  role: 'zk-autoscaler:role',
  operation: 'zk-autoscaler:operation',
  zone: 'zk-autoscaler:zone',
  templateVersion: 'zk-autoscaler:launch-template-version',
  /** The ClientToken of the launch: written only at launch, checked against the token EC2 keeps. */
  launchedBy: 'zk-autoscaler:launched-by',
  /** Servers created together: every reserved address (`1=10.0.1.10 2=...`), so a creation that was
   * interrupted finds the addresses its first servers already name. */
  reservation: 'zk-autoscaler:reservation',
} as const;

export interface Ec2FleetOptions {
  /** This controller's deployment id (lowercase letters, digits, "-", at most 32). */
  readonly deployment: string;
  readonly cluster: string;
  readonly log: Log;
  readonly retry?: RetryPolicy;
  /** This container's share of the account's EC2 rates; none, unbudgeted (the CLI). */
  readonly budgets?: RateBudgets;
  /** The cluster's adopted instances (instance id -> server id), read only when an instance with
   * our tags was not launched by us; none when the cluster was created, not adopted. */
  readonly adopted?: () => Promise<ReadonlyMap<string, ServerId>>;
  /** The listing of a batch of clusters, when the tick that lists this fleet is one of a batch. */
  readonly listings?: Ec2Listings;
  /** Records the adopted instances (adopt only): the record `adopted` reads. */
  readonly recordAdopted?: (adopted: ReadonlyMap<string, ServerId>) => Promise<void>;
}

/** Where EC2 servers boot from: Debian's layout, every interface bound. */
const EC2_LAYOUT: BootLayout = { host: '0.0.0.0', configDir: EC2_CONFIG_DIR, dataDir: EC2_DATA_DIR };
/** AWS reserves a subnet's first four addresses and its last. */
const SUBNET_RESERVED_LOW = 4;
/** Addresses tried per server when reserving: DescribeNetworkInterfaces takes them in one call. */
const RESERVE_CANDIDATES = 8;

const ServerIdTag = z.coerce.number().int().min(1).max(255);
/** Console lines kept as a failed joiner's evidence. */
const BOOT_LOG_LINES = 20;
const CAPACITY_ERRORS = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'Unsupported']);

export class Ec2Fleet implements Fleet {
  private readonly deployment: string;
  private readonly cluster: string;
  private readonly log: Log;
  private readonly retry: RetryPolicy;
  private readonly options: Ec2FleetOptions;

  constructor(
    private readonly ec2: EC2Client,
    options: Ec2FleetOptions,
  ) {
    this.deployment = parseOrThrow(DeploymentIdSchema, options.deployment, 'EC2 fleet deployment id');
    this.cluster = options.cluster;
    this.options = options;
    this.log = options.log;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  async list(): Promise<Instance[]> {
    const listed = await this.options.listings?.take(this.cluster);
    const found = await this.ours(listed?.instances ?? (await this.describe(this.ownFilters())));
    const impaired = listed?.impaired ?? (await this.impaired(found.filter((i) => i.State?.Name === 'running').map((i) => i.InstanceId ?? '')));
    return found.flatMap((i) => {
      const tags = tagsOf(i);
      const serverId = ServerIdTag.safeParse(tags.get(TAG.serverId));
      if (!serverId.success) {
        this.log.warn('instance with a malformed server-id tag ignored', { instanceId: i.InstanceId, tag: tags.get(TAG.serverId) });
        return [];
      }
      const instance = this.instanceOf(i, serverId.data);
      return [impaired.has(instance.instanceId) ? { ...instance, state: 'impaired' as const } : instance];
    });
  }

  layout(): BootLayout {
    return EC2_LAYOUT;
  }

  async reserveAddresses(servers: readonly { serverId: ServerId; zone: string }[], zones: readonly ZonePlacement[]): Promise<AddressReservation> {
    const live = (await this.ours(await this.describe(this.ownFilters()))).filter((i) => i.State?.Name !== 'terminated');
    const kept = [...new Set(live.map((i) => tagsOf(i).get(TAG.reservation)).filter((r) => r !== undefined))];
    if (kept.length > 1) throw new InvalidInputError('reserve addresses', [`${TAG.reservation}: the running servers were launched with different reservations (${kept.join(' | ')})`]);
    if (kept[0] !== undefined) {
      const reservation = parseReservation(kept[0]);
      const ids = [...reservation.addresses.keys()];
      if (ids.length === servers.length && servers.every((s) => reservation.addresses.has(s.serverId))) return reservation;
      throw new InvalidInputError('reserve addresses', [`servers: the running servers were created as ${ids.join(', ')}, not ${servers.map((s) => s.serverId).join(', ')} (${kept[0]})`]);
    }
    const subnets = await this.subnets(servers.map((s) => subnetOf(zones, s.zone, this.cluster)));
    const addresses = new Map<ServerId, string>();
    for (const server of servers) {
      const subnetId = subnetOf(zones, server.zone, this.cluster);
      const cidr = subnets.get(subnetId);
      if (!cidr) throw new AwsCallError('ec2', 'DescribeSubnets', subnetId, 'InvalidSubnetID.NotFound');
      const taken = new Set(addresses.values());
      const candidates = addressCandidates(cidr, `${this.deployment}/${this.cluster}/${server.serverId}`, RESERVE_CANDIDATES).filter((a) => !taken.has(a));
      const used = await this.addressesInUse(subnetId, candidates);
      const free = candidates.find((a) => !used.has(a));
      if (!free) throw new InvalidInputError('reserve addresses', [`zone ${server.zone}: none of ${candidates.length} addresses tried in ${subnetId} (${cidr}) is free`]);
      addresses.set(server.serverId, free);
    }
    return { addresses, creation: undefined };
  }

  async launch(request: LaunchRequest): Promise<Instance> {
    const { launchTemplate } = request;
    if (!launchTemplate) throw new InvalidInputError(`launch of server ${request.serverId} in ${this.cluster}`, ['launchTemplate: required on AWS (id and version)']);
    const launched = await this.ours(await this.describe([...this.ownFilters(), { Name: `tag:${TAG.operation}`, Values: [request.operationId] }]));
    const mine = launched.find((i) => i.State?.Name !== 'terminated' && tagsOf(i).get(TAG.serverId) === String(request.serverId));
    if (mine) return this.instanceOf(mine, request.serverId);
    const address = request.reservation?.addresses.get(request.serverId);
    if (request.reservation && address === undefined) throw new InvalidInputError(`launch of server ${request.serverId}`, [`reservation: has no address for server ${request.serverId}`]);
    // A reserved address lies in its zone's subnet: no fallback to another zone.
    const zones = address !== undefined ? request.zones.filter((z) => z.name === request.zone) : [...request.zones].sort((a, b) => Number(b.name === request.zone) - Number(a.name === request.zone));
    const userData = Buffer.from(userDataOf(request), 'utf8').toString('base64');
    let lastCapacityError: unknown;
    for (const zone of zones) {
      if (!zone.subnetId) throw new InvalidInputError(`spec of ${this.cluster}`, [`zones: zone ${zone.name} has no subnetId`]);
      try {
        const out = await this.call('RunInstances', `server ${request.serverId}`, () =>
          this.ec2.send(
            new RunInstancesCommand({
              LaunchTemplate: { LaunchTemplateId: launchTemplate.id, Version: launchTemplate.version },
              SubnetId: zone.subnetId,
              ...(address !== undefined ? { PrivateIpAddress: address } : {}),
              MinCount: 1,
              MaxCount: 1,
              ClientToken: clientToken(this.deployment, this.cluster, request.operationId, zone.name),
              UserData: userData,
              TagSpecifications: [{ ResourceType: 'instance', Tags: this.tags(request, zone.name) }],
            }),
          ),
        );
        const instance = out.Instances?.[0];
        if (!instance?.InstanceId) throw new AwsCallError('ec2', 'RunInstances', `server ${request.serverId}`, 'NoInstanceReturned');
        if (zone.name !== request.zone) this.log.warn(`no capacity in ${request.zone}: server ${request.serverId} launched in ${zone.name}`, { serverId: request.serverId });
        const placed = instance.Placement?.AvailabilityZone;
        if (placed !== undefined && placed !== zone.name) {
          // Placement compares EC2's zone with the spec's names: a mismatch would read as a launch
          // moved by EC2 on every launch, and spread would quietly stop working.
          this.log.error(`spec zone ${zone.name} names subnet ${zone.subnetId}, which is in ${placed}: name the zone ${placed} in the spec`, { serverId: request.serverId, zone: zone.name, subnetId: zone.subnetId, availabilityZone: placed });
        }
        return { ...this.instanceOf(instance, request.serverId), zone: instance.Placement?.AvailabilityZone ?? zone.name };
      } catch (err) {
        if (!(err instanceof AwsCallError) || !CAPACITY_ERRORS.has(err.code)) throw err;
        lastCapacityError = err;
      }
    }
    throw lastCapacityError;
  }

  async findByAddress(hosts: readonly string[], zones: readonly ZonePlacement[]): Promise<ReadonlyMap<string, ForeignInstance>> {
    const found = new Map<string, ForeignInstance>();
    if (hosts.length === 0) return found;
    // Only the spec's subnets: another VPC may use the same private range.
    const subnetIds = zones.map((z) => subnetOf(zones, z.name, this.cluster));
    const instances = await this.describe([
      { Name: 'private-ip-address', Values: [...hosts] },
      { Name: 'subnet-id', Values: subnetIds },
    ]);
    for (const i of instances.filter((x) => x.State?.Name !== 'terminated')) {
      const host = i.PrivateIpAddress ?? '';
      const tags = tagsOf(i);
      const owner = tags.get(TAG.deployment);
      if (owner !== undefined && (owner !== this.deployment || tags.get(TAG.cluster) !== this.cluster)) {
        throw new InvalidInputError('adopt', [`instances: ${i.InstanceId} at ${host} belongs to ${owner}/${tags.get(TAG.cluster)}; refused`]);
      }
      const other = found.get(host);
      if (other) throw new InvalidInputError('adopt', [`instances: ${other.instanceId} and ${i.InstanceId} both hold ${host}; refused`]);
      found.set(host, { instanceId: i.InstanceId ?? '', host, zone: i.Placement?.AvailabilityZone ?? 'unknown', state: stateOf(i.State?.Name) });
    }
    return found;
  }

  /** Records the instances as adopted, then tags them: the record is what trusts them, the tags
   * are what the describes find them by. */
  async adopt(servers: readonly { serverId: ServerId; role: Role; instance: ForeignInstance }[]): Promise<void> {
    if (!this.options.recordAdopted) throw new InvalidInputError('adopt', ['recordAdopted: this fleet was built without a place to record adopted instances']);
    await this.options.recordAdopted(new Map(servers.map((s) => [s.instance.instanceId, s.serverId])));
    for (const s of servers) {
      const tags = [
        { Key: 'Name', Value: `zk-${this.cluster}-${s.serverId}` },
        { Key: TAG.deployment, Value: this.deployment },
        { Key: TAG.cluster, Value: this.cluster },
        { Key: TAG.serverId, Value: String(s.serverId) },
        { Key: TAG.role, Value: s.role },
        { Key: TAG.operation, Value: `adopt-${s.serverId}` },
        { Key: TAG.zone, Value: s.instance.zone },
      ];
      await this.call('CreateTags', s.instance.instanceId, () => this.ec2.send(new CreateTagsCommand({ Resources: [s.instance.instanceId], Tags: tags })));
    }
  }

  /** Terminates this deployment's instances of the server: an instance without our tags is refused
   * (nothing is terminated), one it did not launch is reported and left running. */
  async terminate(serverId: ServerId): Promise<void> {
    const instances = await this.describe([...this.ownFilters(), { Name: `tag:${TAG.serverId}`, Values: [String(serverId)] }]);
    for (const i of instances) {
      const tags = tagsOf(i);
      if (tags.get(TAG.deployment) !== this.deployment || tags.get(TAG.cluster) !== this.cluster || tags.get(TAG.serverId) !== String(serverId)) {
        throw new InvalidInputError('terminate', [
          `instance ${i.InstanceId}: not tagged ${TAG.deployment}=${this.deployment}, ${TAG.cluster}=${this.cluster}, ${TAG.serverId}=${serverId}; refused`,
        ]);
      }
    }
    const ids = (await this.ours(instances))
      .filter((i) => i.State?.Name !== 'terminated')
      .map((i) => i.InstanceId ?? '');
    if (ids.length === 0) return;
    await this.call('TerminateInstances', ids.join(','), () => this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids })));
  }

  /** The console output of the server's newest instance, its last lines. */
  async bootLog(serverId: ServerId): Promise<string | undefined> {
    const instances = await this.ours(await this.describe([...this.ownFilters(), { Name: `tag:${TAG.serverId}`, Values: [String(serverId)] }]));
    const newest = instances.sort((a, b) => (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0))[0];
    if (!newest?.InstanceId) return undefined;
    const id = newest.InstanceId;
    const out = await this.call('GetConsoleOutput', id, () => this.ec2.send(new GetConsoleOutputCommand({ InstanceId: id, Latest: true })));
    if (!out.Output) return undefined;
    return Buffer.from(out.Output, 'base64').toString('utf8').trimEnd().split('\n').slice(-BOOT_LOG_LINES).join('\n');
  }

  private instanceOf(i: Ec2Instance, serverId: ServerId): Instance {
    return {
      serverId,
      instanceId: i.InstanceId ?? '',
      host: i.PrivateIpAddress ?? '',
      state: stateOf(i.State?.Name),
      zone: i.Placement?.AvailabilityZone ?? tagsOf(i).get(TAG.zone) ?? 'unknown',
      launchTemplateVersion: tagsOf(i).get(TAG.templateVersion),
    };
  }

  private tags(request: LaunchRequest, zone: string): { Key: string; Value: string }[] {
    return [
      { Key: 'Name', Value: `zk-${this.cluster}-${request.serverId}` },
      { Key: TAG.deployment, Value: this.deployment },
      { Key: TAG.cluster, Value: this.cluster },
      { Key: TAG.serverId, Value: String(request.serverId) },
      { Key: TAG.role, Value: request.role },
      { Key: TAG.operation, Value: request.operationId },
      { Key: TAG.zone, Value: zone },
      { Key: TAG.launchedBy, Value: clientToken(this.deployment, this.cluster, request.operationId, zone) },
      ...(request.launchTemplate ? [{ Key: TAG.templateVersion, Value: request.launchTemplate.version }] : []),
      ...(request.reservation ? [{ Key: TAG.reservation, Value: reservationText(request.reservation) }] : []),
    ];
  }

  /** This deployment's instances of this cluster: what every describe asks for. */
  private ownFilters(): { Name: string; Values: string[] }[] {
    return [
      { Name: `tag:${TAG.deployment}`, Values: [this.deployment] },
      { Name: `tag:${TAG.cluster}`, Values: [this.cluster] },
    ];
  }

  /** The instances this deployment launched or adopted; any other (tagged by hand, or launched by
   * someone else with our tags) is reported and dropped. The adopted record is read only when an
   * instance is not one we launched. */
  private async ours(instances: readonly Ec2Instance[]): Promise<Ec2Instance[]> {
    const why = new Map(instances.map((i) => [i, notLaunchedHere(i, this.deployment, this.cluster)]));
    const adopted = [...why.values()].some((w) => w !== undefined) && this.options.adopted ? await this.options.adopted() : new Map<string, ServerId>();
    return instances.filter((i) => {
      const reason = why.get(i);
      if (reason === undefined) return true;
      const serverId = adopted.get(i.InstanceId ?? '');
      if (serverId !== undefined && tagsOf(i).get(TAG.serverId) === String(serverId)) return true;
      this.log.warn(`instance ${i.InstanceId} is tagged for ${this.deployment}/${this.cluster} but was not launched by it (${reason}): ignored, never terminated`, { instanceId: i.InstanceId, deployment: this.deployment });
      return false;
    });
  }

  /** Subnet id -> CIDR block. */
  private async subnets(ids: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const out = await this.call('DescribeSubnets', unique.join(','), () => this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: unique })));
    return new Map((out.Subnets ?? []).map((s) => [s.SubnetId ?? '', s.CidrBlock ?? '']));
  }

  /** Which of these addresses an interface in the subnet holds. */
  private async addressesInUse(subnetId: string, addresses: readonly string[]): Promise<Set<string>> {
    const out = await this.call('DescribeNetworkInterfaces', subnetId, () =>
      this.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnetId] }, { Name: 'addresses.private-ip-address', Values: [...addresses] }] })),
    );
    return new Set((out.NetworkInterfaces ?? []).flatMap((n) => (n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress ?? '')));
  }

  private describe(filters: { Name: string; Values: string[] }[]): Promise<Ec2Instance[]> {
    return describeInstances(this.ec2, this.caller(this.cluster), filters);
  }

  /** Running instances whose system or instance status check says impaired. */
  private impaired(ids: readonly string[]): Promise<Set<string>> {
    return impairedOf(this.ec2, this.caller(this.cluster), ids);
  }

  private call<T>(operation: string, resource: string, send: () => Promise<T>): Promise<T> {
    return this.caller(resource)(operation, send);
  }

  private caller(resource: string): Ec2Call {
    return ec2Caller(this.retry, this.options.budgets, resource);
  }
}

/** One EC2 call, retried on throttling within the budget, its error typed and naming `resource`. */
export type Ec2Call = <T>(operation: string, send: () => Promise<T>) => Promise<T>;

export function ec2Caller(retry: RetryPolicy, budgets: RateBudgets | undefined, resource: string): Ec2Call {
  return async (operation, send) => {
    try {
      return await withThrottlingRetry(retry, async () => {
        await budgets?.take('ec2', operation);
        return send();
      });
    } catch (err) {
      throw awsCallError('ec2', operation, resource, err);
    }
  };
}

export async function describeInstances(ec2: EC2Client, call: Ec2Call, filters: { Name: string; Values: string[] }[]): Promise<Ec2Instance[]> {
  const instances: Ec2Instance[] = [];
  let token: string | undefined;
  do {
    const page = await call('DescribeInstances', () =>
      ec2.send(new DescribeInstancesCommand({ Filters: [...filters, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] }], MaxResults: 100, NextToken: token })),
    );
    for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return instances;
}

async function impairedOf(ec2: EC2Client, call: Ec2Call, ids: readonly string[]): Promise<Set<string>> {
  const impaired = new Set<string>();
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const out = await call('DescribeInstanceStatus', () => ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: chunk, IncludeAllInstances: true })));
    for (const s of out.InstanceStatuses ?? []) {
      if (s.SystemStatus?.Status === 'impaired' || s.InstanceStatus?.Status === 'impaired') impaired.add(s.InstanceId ?? '');
    }
  }
  return impaired;
}

/** A listing older than this is not used: it was made for a batch of ticks that is over. */
const LISTING_FRESH_MS = 10_000;

interface ClusterListing {
  readonly instances: readonly Ec2Instance[];
  readonly impaired: ReadonlySet<string>;
}

/**
 * The instances of the clusters of one batch of ticks, listed together: one DescribeInstances and
 * one DescribeInstanceStatus for up to a batch's ten clusters instead of one of each per cluster
 * (EC2's DescribeInstances bucket is what limits the clusters a deployment ticks a minute). Each
 * cluster's fleet takes its part once, while fresh; a failed listing, or none, and the fleet lists
 * for itself. What is ours is still judged by each fleet.
 */
export class Ec2Listings {
  private readonly prepared = new Map<string, { readonly at: number; readonly listing: Promise<ClusterListing | undefined> }>();

  constructor(
    private readonly ec2: EC2Client,
    private readonly options: { readonly deployment: string; readonly log: Log; readonly retry?: RetryPolicy; readonly budgets?: RateBudgets; readonly clock?: () => number },
  ) {}

  /** Lists these clusters' instances now, for their ticks to take. */
  prepare(clusters: readonly string[]): void {
    if (clusters.length === 0) return;
    const at = this.now();
    const all = this.list(clusters).catch((err: unknown) => {
      this.options.log.warn('the batch listing failed: each cluster lists for itself', { clusters: clusters.join(','), error: awsCallError('ec2', 'DescribeInstances', clusters.join(','), err).message });
      return undefined;
    });
    for (const cluster of clusters) this.prepared.set(cluster, { at, listing: all.then((byCluster) => byCluster && (byCluster.get(cluster) ?? { instances: [], impaired: new Set<string>() })) });
  }

  /** This cluster's part of a fresh listing, once; undefined when there is none. */
  take(cluster: string): Promise<ClusterListing | undefined> | undefined {
    const entry = this.prepared.get(cluster);
    this.prepared.delete(cluster);
    return entry && this.now() - entry.at <= LISTING_FRESH_MS ? entry.listing : undefined;
  }

  private async list(clusters: readonly string[]): Promise<Map<string, ClusterListing>> {
    const call = ec2Caller(this.options.retry ?? DEFAULT_RETRY, this.options.budgets, clusters.join(','));
    const instances = await describeInstances(this.ec2, call, [
      { Name: `tag:${TAG.deployment}`, Values: [this.options.deployment] },
      { Name: `tag:${TAG.cluster}`, Values: [...clusters] },
    ]);
    const impaired = await impairedOf(this.ec2, call, instances.filter((i) => i.State?.Name === 'running').map((i) => i.InstanceId ?? ''));
    const byCluster = new Map<string, ClusterListing>();
    for (const cluster of clusters) byCluster.set(cluster, { instances: instances.filter((i) => tagsOf(i).get(TAG.cluster) === cluster), impaired });
    return byCluster;
  }

  private now(): number {
    return this.options.clock?.() ?? Date.now();
  }
}

/** The user data that writes the rendered files, within RunInstances' 16 KB. */
function userDataOf(request: LaunchRequest): string {
  const script = renderUserData(request.files);
  if (Buffer.byteLength(script) > USER_DATA_MAX_BYTES) {
    throw new InvalidInputError('user data', [`size: ${Buffer.byteLength(script)} bytes, more than the ${USER_DATA_MAX_BYTES} RunInstances takes`]);
  }
  return script;
}

function subnetOf(zones: readonly ZonePlacement[], zone: string, cluster: string): string {
  const subnetId = zones.find((z) => z.name === zone)?.subnetId;
  if (!subnetId) throw new InvalidInputError(`spec of ${cluster}`, [`zones: zone ${zone} has no subnetId`]);
  return subnetId;
}

/** `count` addresses of the block (AWS's reserved ones skipped), from a start that `seed` fixes: the
 * same servers try the same addresses, and different clusters seldom the same. */
export function addressCandidates(cidr: string, seed: string, count: number): string[] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new InvalidInputError('subnet', [`CidrBlock: not an IPv4 block (got ${JSON.stringify(cidr)})`]);
  const bits = Number(match[5]);
  const base = match.slice(1, 5).reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - bits);
  const usable = size - SUBNET_RESERVED_LOW - 1;
  if (bits > 28 || usable < 1) throw new InvalidInputError('subnet', [`CidrBlock: ${cidr} is too small for servers (AWS allows /16 to /28)`]);
  const start = createHash('sha256').update(seed).digest().readUInt32BE(0) % usable;
  return Array.from({ length: Math.min(count, usable) }, (_, i) => {
    const n = base - (base % size) + SUBNET_RESERVED_LOW + ((start + i) % usable);
    return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
  });
}

/** `<creation> 1=10.0.1.10 2=...`: at most 256 characters (9 voters take about 180). */
function reservationText(reservation: AddressReservation & { creation: string }): string {
  return [reservation.creation, ...[...reservation.addresses].sort(([a], [b]) => a - b).map(([id, host]) => `${id}=${host}`)].join(' ');
}

function parseReservation(text: string): AddressReservation {
  const [creation = '', ...pairs] = text.split(' ');
  const entries = pairs.map((pair) => /^(\d{1,3})=(\d{1,3}(?:\.\d{1,3}){3})$/.exec(pair));
  if (!/^[a-z0-9.]{1,40}$/.test(creation) || entries.length === 0 || entries.some((e) => e === null)) {
    throw new InvalidInputError('reservation tag', [`${TAG.reservation}: must be "<creation> id=address ..." (got ${JSON.stringify(text)})`]);
  }
  return { addresses: new Map(entries.map((e) => [Number(e?.[1]), e?.[2] ?? ''])), creation };
}

/** At most 64 ASCII characters, stable for (deployment, cluster, operation, zone). */
export function clientToken(deployment: string, cluster: string, operationId: string, zone: string): string {
  const plain = `zka-${deployment}-${cluster}-${operationId}-${zone}`;
  return plain.length <= 64 ? plain : `zka-${createHash('sha256').update(plain).digest('hex').slice(0, 56)}`;
}

/** Why an instance with our deployment and cluster tags was not launched by us; undefined when it was. */
export function notLaunchedHere(i: Ec2Instance, deployment: string, cluster: string): string | undefined {
  const tags = tagsOf(i);
  if (tags.get(TAG.deployment) !== deployment || tags.get(TAG.cluster) !== cluster) return 'other tags';
  const marker = tags.get(TAG.launchedBy);
  if (!marker) return `no ${TAG.launchedBy} tag`;
  if (i.ClientToken !== marker) return `its launch token is not its ${TAG.launchedBy} tag`;
  const expected = clientToken(deployment, cluster, tags.get(TAG.operation) ?? '', tags.get(TAG.zone) ?? '');
  return marker === expected ? undefined : 'its launch token is not one this deployment derives';
}

export function tagsOf(i: Ec2Instance): Map<string, string> {
  return new Map((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function stateOf(name: string | undefined): InstanceState {
  switch (name) {
    case 'pending':
    case 'running':
    case 'stopped':
    case 'terminated':
      return name;
    case 'stopping':
    case 'shutting-down':
      return 'stopping';
    default:
      return 'pending';
  }
}
