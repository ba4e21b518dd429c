import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchLoadSource, Ec2Fleet, EmfMetricsSink, SsmStateStore, SsmSuperPasswords } from '../adapters/aws/index.js';
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

export function awsClients(): AwsClients {
  const config = {
    maxAttempts: AWS_MAX_ATTEMPTS,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes.
    requestHandler: { connectionTimeout: AWS_CONNECTION_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
  };
  return { ssm: new SSMClient(config), ec2: new EC2Client(config), cloudWatch: new CloudWatchClient(config) };
}

export function buildAwsDeps(env: Env, clients: AwsClients, log: Log): Deps {
  const store = new SsmStateStore(clients.ssm, env.ZK_AUTOSCALER_PREFIX);
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
