import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchLoadSource, Ec2Fleet, Ec2Listings, EmfMetricsSink, SsmStateStore, SsmSuperPasswords } from '../adapters/aws/index.js';
import { Ec2InstanceOwners } from '../adapters/aws/ec2InstanceOwners.js';
import { RateBudgets } from '../adapters/aws/rateBudget.js';
import { SqsTickQueue } from '../adapters/aws/sqsTickQueue.js';
import type { Env } from '../config/env.js';
import type { Deps } from '../controller/index.js';
import type { Log } from '../ports/index.js';
import { zooKeeperEnsemble, zooKeeperProbe } from '../zk/index.js';
import { ADMIN_TIMEOUT_MS, PROBE_TIMEOUT_MS, superUserOf } from './local.js';

// AWS's dependencies: SSM for state, EC2 for servers, EMF for metrics, CloudWatch for the load
// window, and the same ZooKeeper probe and admin code local mode uses. Clients are made by the
// caller once per container.

export interface AwsClients {
  readonly ssm: SSMClient;
  readonly ec2: EC2Client;
  readonly cloudWatch: CloudWatchClient;
}

// Every AWS call gives up well inside the tick's budget (the function's 120 s timeout, spent on a
// handful of calls one after another): without these the SDK waits on a hung connection until
// Lambda kills the tick, and the lease it holds blocks the next ones. AWS APIs answer in well under
// a second (RunInstances in a few); a retried RunInstances reuses its ClientToken, so giving up
// early never launches twice.

/** Connecting (TCP and TLS) to the regional or VPC endpoint; milliseconds when the path works. */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;
/** One attempt, from sending the request to the last byte of the answer. */
export const AWS_REQUEST_TIMEOUT_MS = 4_000;
/** Attempts per call, the first included: a hung call gives up after about 2 x 4 s. Throttling
 * gets more, from withThrottlingRetry around each call. */
export const AWS_MAX_ATTEMPTS = 2;

const CLIENT_CONFIG = {
  maxAttempts: AWS_MAX_ATTEMPTS,
  // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes.
  requestHandler: { connectionTimeout: AWS_CONNECTION_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
};

export function awsClients(): AwsClients {
  return { ssm: new SSMClient(CLIENT_CONFIG), ec2: new EC2Client(CLIENT_CONFIG), cloudWatch: new CloudWatchClient(CLIENT_CONFIG) };
}

/** This container's share of the account's limits, from the environment: what the functions'
 * SSM and EC2 calls wait on (the CLI, one operator's few calls, goes without). */
export function rateBudgets(env: Env): RateBudgets {
  return new RateBudgets({
    ssmReadsPerSecond: env.SSM_READS_PER_SECOND,
    ssmWritesPerSecond: env.SSM_WRITES_PER_SECOND,
    ec2DescribesPerSecond: env.EC2_DESCRIBES_PER_SECOND,
    ec2DescribeBurst: env.EC2_DESCRIBE_BURST,
    share: env.RATE_SHARE,
    containers: env.TICK_CONCURRENCY,
  });
}

/** The FIFO queue the fan-out puts each cluster's tick on, when the deployment has one. */
export function sqsTickQueue(env: Env): SqsTickQueue | undefined {
  if (env.TICK_QUEUE_NAME === undefined) return undefined;
  return new SqsTickQueue(new SQSClient(CLIENT_CONFIG), env.TICK_QUEUE_NAME, { spreadMs: env.TICK_SPREAD_SECONDS * 1000 });
}

/** Which cluster an EC2 or Health event's instance belongs to: its tags, and for an instance we did
 * not launch, its cluster's adopted record. One DescribeInstances per event and one adopted record
 * read, within the same rate budgets as the ticks. */
export function ec2InstanceOwners(env: Env, clients: AwsClients, log: Log, budgets?: RateBudgets): Ec2InstanceOwners {
  const store = new SsmStateStore(clients.ssm, env.ZK_AUTOSCALER_PREFIX, undefined, undefined, budgets);
  return new Ec2InstanceOwners(clients.ec2, { deployment: env.ZK_AUTOSCALER_DEPLOYMENT, log, adopted: (cluster) => store.readAdopted(cluster), ...(budgets ? { budgets } : {}) });
}

export function buildAwsDeps(env: Env, clients: AwsClients, log: Log, budgets?: RateBudgets): Deps {
  const store = new SsmStateStore(clients.ssm, env.ZK_AUTOSCALER_PREFIX, undefined, undefined, budgets);
  const listings = new Ec2Listings(clients.ec2, { deployment: env.ZK_AUTOSCALER_DEPLOYMENT, log, ...(budgets ? { budgets } : {}) });
  const passwords = new SsmSuperPasswords(clients.ssm, env.ZK_AUTOSCALER_PREFIX);
  /** An adopted record never changes once written: a container reads each cluster's once (an
   * absent one is read again: the cluster may be adopted meanwhile). */
  const adopted = new Map<string, ReadonlyMap<string, number>>();
  return {
    store,
    metrics: new EmfMetricsSink(env.POWERTOOLS_METRICS_NAMESPACE),
    load: new CloudWatchLoadSource(clients.cloudWatch, env.POWERTOOLS_METRICS_NAMESPACE),
    log,
    holder: env.AWS_LAMBDA_FUNCTION_NAME,
    leaseTtlMs: env.LEASE_TTL_SECONDS * 1000,
    clock: () => Date.now(),
    prepareListing: (clusters) => listings.prepare(clusters),
    async portsFor(cluster, spec) {
      const superUser = superUserOf(passwords, cluster);
      const readAdopted = async (): Promise<ReadonlyMap<string, number>> => {
        const read = adopted.get(cluster) ?? (await store.readAdopted(cluster));
        if (read.size > 0) adopted.set(cluster, read);
        return read;
      };
      return {
        fleet: new Ec2Fleet(clients.ec2, {
          deployment: env.ZK_AUTOSCALER_DEPLOYMENT,
          cluster,
          log,
          ...(budgets ? { budgets } : {}),
          listings,
          adopted: readAdopted,
          recordAdopted: (record) => store.recordAdopted(cluster, record),
        }),
        probe: zooKeeperProbe({ timeoutMs: PROBE_TIMEOUT_MS, via: 'four-letter-words', clientPort: spec.zookeeper.clientPort, adminPort: spec.zookeeper.adminPort }),
        ensemble: zooKeeperEnsemble({ superPassword: superUser.password, timeoutMs: ADMIN_TIMEOUT_MS }),
        superUser,
      };
    },
  };
}
