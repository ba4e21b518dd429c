import type { EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { ClusterNameSchema } from '../../config/spec.js';
import type { ServerId } from '../../core/index.js';
import type { Log } from '../../ports/index.js';
import { DEFAULT_RETRY, type RetryPolicy } from './awsErrors.js';
import { describeInstances, ec2Caller, notLaunchedHere, TAG, tagsOf } from './ec2Fleet.js';
import type { RateBudgets } from './rateBudget.js';

// Which cluster an EC2 or Health event's instance belongs to. The events name the instance, not our
// tags: one DescribeInstances by instance id, filtered on this deployment's tag, reads them. An
// instance counts only as the fleet counts it (launched by this deployment, or adopted), so a tag
// put on someone else's instance never files a replace request for one of our servers.

export interface InstanceOwner {
  readonly cluster: string;
  readonly serverId: ServerId;
}

export interface Ec2InstanceOwnersOptions {
  readonly deployment: string;
  readonly log: Log;
  /** A cluster's adopted instances (instance id -> server id), read only for an instance we did not launch. */
  readonly adopted: (cluster: string) => Promise<ReadonlyMap<string, ServerId>>;
  readonly retry?: RetryPolicy;
  /** The container's share of the account's EC2 rates, which the ticks draw on too: a storm of
   * events (a zone lost) must not starve them. */
  readonly budgets?: RateBudgets;
}

const ServerIdTag = z.coerce.number().int().min(1).max(255);

export class Ec2InstanceOwners {
  constructor(
    private readonly ec2: EC2Client,
    private readonly options: Ec2InstanceOwnersOptions,
  ) {}

  /** Our instances among these, with their cluster and server; the others are left out and logged. */
  async ownersOf(instanceIds: readonly string[]): Promise<ReadonlyMap<string, InstanceOwner>> {
    const owners = new Map<string, InstanceOwner>();
    if (instanceIds.length === 0) return owners;
    const { deployment, log } = this.options;
    const filters = [
      { Name: 'instance-id', Values: [...instanceIds] },
      { Name: `tag:${TAG.deployment}`, Values: [deployment] },
    ];
    const call = ec2Caller(this.options.retry ?? DEFAULT_RETRY, this.options.budgets, instanceIds.join(','));
    for (const i of await describeInstances(this.ec2, call, filters)) {
      const tags = tagsOf(i);
      const cluster = ClusterNameSchema.safeParse(tags.get(TAG.cluster));
      const serverId = ServerIdTag.safeParse(tags.get(TAG.serverId));
      if (!cluster.success || !serverId.success) {
        log.warn(`instance ${i.InstanceId} carries ${TAG.deployment}=${deployment} but malformed cluster or server-id tags: ignored`, { instanceId: i.InstanceId });
        continue;
      }
      const why = notLaunchedHere(i, deployment, cluster.data);
      if (why !== undefined && (await this.options.adopted(cluster.data)).get(i.InstanceId ?? '') !== serverId.data) {
        log.warn(`instance ${i.InstanceId} is tagged for ${deployment}/${cluster.data} but was not launched by it (${why}): ignored`, { instanceId: i.InstanceId });
        continue;
      }
      owners.set(i.InstanceId ?? '', { cluster: cluster.data, serverId: serverId.data });
    }
    return owners;
  }
}
