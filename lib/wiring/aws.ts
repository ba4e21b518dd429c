import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchLoadSource, Ec2Fleet, EmfMetricsSink, SsmStateStore } from '../adapters/aws/index.js';
import type { Env } from '../config/env.js';
import type { Deps } from '../controller/index.js';
import type { Log } from '../ports/index.js';
import { zooKeeperEnsemble, zooKeeperProbe } from '../zk/index.js';
import { ADMIN_TIMEOUT_MS, PROBE_TIMEOUT_MS } from './local.js';

// AWS's dependencies: SSM for state, EC2 for servers, EMF for metrics, CloudWatch for the load
// window, and the same ZooKeeper probe and admin code local mode uses. Clients are made by the
// caller once per container.

export interface AwsClients {
  readonly ssm: SSMClient;
  readonly ec2: EC2Client;
  readonly cloudWatch: CloudWatchClient;
}

export function awsClients(): AwsClients {
  return { ssm: new SSMClient({}), ec2: new EC2Client({}), cloudWatch: new CloudWatchClient({}) };
}

export function buildAwsDeps(env: Env, clients: AwsClients, log: Log): Deps {
  const store = new SsmStateStore(clients.ssm, env.ZK_AUTOSCALER_PREFIX);
  return {
    store,
    metrics: new EmfMetricsSink(env.POWERTOOLS_METRICS_NAMESPACE),
    load: new CloudWatchLoadSource(clients.cloudWatch, env.POWERTOOLS_METRICS_NAMESPACE),
    log,
    holder: env.AWS_LAMBDA_FUNCTION_NAME,
    leaseTtlMs: env.LEASE_TTL_SECONDS * 1000,
    clock: () => Date.now(),
    async portsFor(cluster, spec) {
      const password = await store.readSuperPassword(cluster);
      return {
        fleet: new Ec2Fleet(clients.ec2, cluster, password, log),
        probe: zooKeeperProbe({ timeoutMs: PROBE_TIMEOUT_MS, via: 'four-letter-words', clientPort: spec.zookeeper.clientPort, adminPort: spec.zookeeper.adminPort }),
        ensemble: zooKeeperEnsemble({ superPassword: password, timeoutMs: ADMIN_TIMEOUT_MS }),
      };
    },
  };
}
