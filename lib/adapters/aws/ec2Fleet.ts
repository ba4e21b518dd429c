import { createHash } from 'node:crypto';
import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { DeploymentIdSchema } from '../../config/env.js';
import { parseOrThrow } from '../../config/parse.js';
import type { ClusterSpec } from '../../config/spec.js';
import { renderServerFiles } from '../../core/bootstrap.js';
import type { Instance, InstanceState, ServerId } from '../../core/index.js';
import { InvalidInputError } from '../../errors.js';
import type { Fleet, LaunchRequest, Log, SuperPassword } from '../../ports/index.js';
import { superDigest } from '../../zk/auth.js';
import { AwsCallError, awsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';
import { EC2_CONFIG_DIR, EC2_DATA_DIR, renderUserData, USER_DATA_MAX_BYTES } from './userData.js';

// The Fleet port on EC2: instances launched from the spec's launch template into the subnet of the
// zone the planner chose (the next zone when one has no capacity), tagged with the deployment,
// cluster, server id, role and operation, with user data rendered by the bootstrap function local
// mode runs, and a ClientToken derived from the deployment and the operation, so a retried tick
// never launches twice; before launching again it looks for the operation's instance by its tag,
// since EC2's token is per zone and a capacity fallback lands elsewhere. Terminated instances are
// listed while EC2 still shows them, so a gone server fails at once.
//
// Ours is an instance this deployment launched: every describe filters on the deployment and the
// cluster tags, and an instance so tagged counts only when its launch marker (the launched-by tag)
// is the ClientToken EC2 recorded at its launch, the token this deployment derives for its
// operation and zone. Tags can be added to any instance later by whoever may create tags; the
// token cannot. Any other instance is reported and left alone: never listed (so never probed or
// trusted as a member), never terminated.

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
} as const;

export interface Ec2FleetOptions {
  /** This controller's deployment id (lowercase letters, digits, "-", at most 32). */
  readonly deployment: string;
  readonly cluster: string;
  readonly superPassword: SuperPassword;
  readonly log: Log;
  readonly retry?: RetryPolicy;
}

const ServerIdTag = z.coerce.number().int().min(1).max(255);
/** Console lines kept as a failed joiner's evidence. */
const BOOT_LOG_LINES = 20;
const CAPACITY_ERRORS = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'Unsupported']);

export class Ec2Fleet implements Fleet {
  private readonly deployment: string;
  private readonly cluster: string;
  private readonly superPassword: SuperPassword;
  private readonly log: Log;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly ec2: EC2Client,
    options: Ec2FleetOptions,
  ) {
    this.deployment = parseOrThrow(DeploymentIdSchema, options.deployment, 'EC2 fleet deployment id');
    this.cluster = options.cluster;
    this.superPassword = options.superPassword;
    this.log = options.log;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  async list(): Promise<Instance[]> {
    const found = this.launchedHere(await this.describe(this.ownFilters()));
    const impaired = await this.impaired(found.filter((i) => i.State?.Name === 'running').map((i) => i.InstanceId ?? ''));
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

  async launch(request: LaunchRequest): Promise<Instance> {
    const { spec } = request;
    if (!spec.launchTemplate) throw new InvalidInputError(`spec of ${this.cluster}`, ['launchTemplate: required on AWS (id and version)']);
    const launched = this.launchedHere(await this.describe([...this.ownFilters(), { Name: `tag:${TAG.operation}`, Values: [request.operationId] }]));
    const mine = launched.find((i) => i.State?.Name !== 'terminated' && tagsOf(i).get(TAG.serverId) === String(request.serverId));
    if (mine) return this.instanceOf(mine, request.serverId);
    const zones = [...spec.zones].sort((a, b) => Number(b.name === request.zone) - Number(a.name === request.zone));
    const userData = this.userData(request, superDigest(await this.superPassword()));
    let lastCapacityError: unknown;
    for (const zone of zones) {
      if (!zone.subnetId) throw new InvalidInputError(`spec of ${this.cluster}`, [`zones: zone ${zone.name} has no subnetId`]);
      try {
        const out = await this.call('RunInstances', `server ${request.serverId}`, () =>
          this.ec2.send(
            new RunInstancesCommand({
              LaunchTemplate: { LaunchTemplateId: spec.launchTemplate?.id, Version: spec.launchTemplate?.version },
              SubnetId: zone.subnetId,
              MinCount: 1,
              MaxCount: 1,
              ClientToken: clientToken(this.deployment, this.cluster, request.operationId, zone.name),
              UserData: Buffer.from(userData, 'utf8').toString('base64'),
              TagSpecifications: [{ ResourceType: 'instance', Tags: this.tags(request, zone.name, spec) }],
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
    const ids = this.launchedHere(instances)
      .filter((i) => i.State?.Name !== 'terminated')
      .map((i) => i.InstanceId ?? '');
    if (ids.length === 0) return;
    await this.call('TerminateInstances', ids.join(','), () => this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids })));
  }

  /** The console output of the server's newest instance, its last lines. */
  async bootLog(serverId: ServerId): Promise<string | undefined> {
    const instances = this.launchedHere(await this.describe([...this.ownFilters(), { Name: `tag:${TAG.serverId}`, Values: [String(serverId)] }]));
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

  private userData(request: LaunchRequest, digest: string): string {
    // The joiner binds every interface (0.0.0.0): its address is EC2's to choose; the controller
    // adds it to the ensemble with the private IP the instance got.
    const files = renderServerFiles({
      cluster: this.cluster,
      settings: request.spec.zookeeper,
      allowEvenVoters: request.spec.voters.allowEven,
      serverId: request.serverId,
      host: '0.0.0.0',
      configDir: EC2_CONFIG_DIR,
      dataDir: EC2_DATA_DIR,
      superDigest: digest,
      membership: { kind: 'join', committed: request.committed },
    });
    const script = renderUserData(files);
    if (Buffer.byteLength(script) > USER_DATA_MAX_BYTES) {
      throw new InvalidInputError('user data', [`size: ${Buffer.byteLength(script)} bytes, more than the ${USER_DATA_MAX_BYTES} RunInstances takes`]);
    }
    return script;
  }

  private tags(request: LaunchRequest, zone: string, spec: ClusterSpec): { Key: string; Value: string }[] {
    return [
      { Key: 'Name', Value: `zk-${this.cluster}-${request.serverId}` },
      { Key: TAG.deployment, Value: this.deployment },
      { Key: TAG.cluster, Value: this.cluster },
      { Key: TAG.serverId, Value: String(request.serverId) },
      { Key: TAG.role, Value: request.role },
      { Key: TAG.operation, Value: request.operationId },
      { Key: TAG.zone, Value: zone },
      { Key: TAG.launchedBy, Value: clientToken(this.deployment, this.cluster, request.operationId, zone) },
      ...(spec.launchTemplate ? [{ Key: TAG.templateVersion, Value: spec.launchTemplate.version }] : []),
    ];
  }

  /** This deployment's instances of this cluster: what every describe asks for. */
  private ownFilters(): { Name: string; Values: string[] }[] {
    return [
      { Name: `tag:${TAG.deployment}`, Values: [this.deployment] },
      { Name: `tag:${TAG.cluster}`, Values: [this.cluster] },
    ];
  }

  /** The instances this deployment launched; any other (tagged by hand, or launched by someone
   * else with our tags) is reported and dropped. */
  private launchedHere(instances: readonly Ec2Instance[]): Ec2Instance[] {
    return instances.filter((i) => {
      const why = notLaunchedHere(i, this.deployment, this.cluster);
      if (why) this.log.warn(`instance ${i.InstanceId} is tagged for ${this.deployment}/${this.cluster} but was not launched by it (${why}): ignored, never terminated`, { instanceId: i.InstanceId, deployment: this.deployment });
      return why === undefined;
    });
  }

  private async describe(filters: { Name: string; Values: string[] }[]): Promise<Ec2Instance[]> {
    const instances: Ec2Instance[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('DescribeInstances', this.cluster, () =>
        this.ec2.send(new DescribeInstancesCommand({ Filters: [...filters, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] }], MaxResults: 100, NextToken: token })),
      );
      for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
      token = page.NextToken;
    } while (token);
    return instances;
  }

  /** Running instances whose system or instance status check says impaired. */
  private async impaired(ids: readonly string[]): Promise<Set<string>> {
    const impaired = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const out = await this.call('DescribeInstanceStatus', chunk.join(','), () => this.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: chunk, IncludeAllInstances: true })));
      for (const s of out.InstanceStatuses ?? []) {
        if (s.SystemStatus?.Status === 'impaired' || s.InstanceStatus?.Status === 'impaired') impaired.add(s.InstanceId ?? '');
      }
    }
    return impaired;
  }

  private async call<T>(operation: string, resource: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withThrottlingRetry(this.retry, send);
    } catch (err) {
      throw awsCallError('ec2', operation, resource, err);
    }
  }
}

/** At most 64 ASCII characters, stable for (deployment, cluster, operation, zone). */
export function clientToken(deployment: string, cluster: string, operationId: string, zone: string): string {
  const plain = `zka-${deployment}-${cluster}-${operationId}-${zone}`;
  return plain.length <= 64 ? plain : `zka-${createHash('sha256').update(plain).digest('hex').slice(0, 56)}`;
}

/** Why an instance with our deployment and cluster tags was not launched by us; undefined when it was. */
function notLaunchedHere(i: Ec2Instance, deployment: string, cluster: string): string | undefined {
  const tags = tagsOf(i);
  if (tags.get(TAG.deployment) !== deployment || tags.get(TAG.cluster) !== cluster) return 'other tags';
  const marker = tags.get(TAG.launchedBy);
  if (!marker) return `no ${TAG.launchedBy} tag`;
  if (i.ClientToken !== marker) return `its launch token is not its ${TAG.launchedBy} tag`;
  const expected = clientToken(deployment, cluster, tags.get(TAG.operation) ?? '', tags.get(TAG.zone) ?? '');
  return marker === expected ? undefined : 'its launch token is not one this deployment derives';
}

function tagsOf(i: Ec2Instance): Map<string, string> {
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
