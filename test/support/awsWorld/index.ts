import {
  GetMetricData$,
  GetMetricDataCommand,
  PutMetricData$,
  PutMetricDataCommand,
  type GetMetricDataCommandInput,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateTags$,
  CreateTagsCommand,
  DescribeInstances$,
  DescribeInstancesCommand,
  DescribeInstanceStatus$,
  DescribeInstanceStatusCommand,
  DescribeNetworkInterfaces$,
  DescribeNetworkInterfacesCommand,
  DescribeSubnets$,
  DescribeSubnetsCommand,
  GetConsoleOutput$,
  GetConsoleOutputCommand,
  RunInstances$,
  RunInstancesCommand,
  TerminateInstances$,
  TerminateInstancesCommand,
  type CreateTagsCommandInput,
  type DescribeInstancesCommandInput,
  type DescribeInstanceStatusCommandInput,
  type DescribeNetworkInterfacesCommandInput,
  type DescribeSubnetsCommandInput,
  type GetConsoleOutputCommandInput,
  type RunInstancesCommandInput,
  type TerminateInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  GetParameter$,
  GetParameterCommand,
  GetParameterHistory$,
  GetParameterHistoryCommand,
  GetParameters$,
  GetParametersByPath$,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameter$,
  PutParameterCommand,
  type GetParameterCommandInput,
  type GetParameterHistoryCommandInput,
  type GetParametersByPathCommandInput,
  type GetParametersCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import {
  ChangeMessageVisibility$,
  ChangeMessageVisibilityCommand,
  DeleteMessage$,
  DeleteMessageCommand,
  GetQueueAttributes$,
  GetQueueAttributesCommand,
  GetQueueUrl$,
  GetQueueUrlCommand,
  BatchEntryIdsNotDistinct$,
  BatchRequestTooLong$,
  EmptyBatchRequest$,
  MessageNotInflight$,
  QueueDoesNotExist$,
  ReceiptHandleIsInvalid$,
  ReceiveMessage$,
  ReceiveMessageCommand,
  RequestThrottled$,
  SendMessageBatch$,
  SendMessageBatchCommand,
  TooManyEntriesInBatchRequest$,
  type ChangeMessageVisibilityCommandInput,
  type DeleteMessageCommandInput,
  type GetQueueAttributesCommandInput,
  type GetQueueUrlCommandInput,
  type ReceiveMessageCommandInput,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StaticOperationSchema } from '@smithy/types';
import { findJava, findZooKeeper, type StopMode } from '../../../lib/adapters/local/index.js';
import { freeAddressPrefix } from '../addresses.js';
import { FakeCloudWatch } from '../fakeCloudWatch.js';
import { FakeEc2, type FakeSubnet, type InstanceHost } from '../fakeEc2.js';
import { FakeSqsFifo } from '../fakeSqs.js';
import { FakeSsm } from '../fakeSsm.js';
import { InstanceSandbox } from './sandbox.js';
import { startWireServer, type Operation, type ServiceName } from './server.js';
import { queryErrorsOf, WireError } from './shapes.js';

// A local AWS for tests: SSM, EC2, CloudWatch and SQS (FIFO queues) over their own HTTP protocols on 127.0.0.1, for
// the real SDK v3 clients (pointed at it by `endpoint` or AWS_ENDPOINT_URL). Each service's model is
// its fake (test/support/fake*.ts) behind its mocked client, the same one the command-level tests
// use; the world adds the wire, per-operation call counts, throttling on demand, and instances that
// run their user data (sandbox.ts): each a real ZooKeeper JVM on its private IP, a loopback address.
// Only the operations the project's adapters call exist (and, for SQS, those Lambda's event source
// mapping calls: eventSourceMapping.ts); launch templates are taken on trust. EC2 tells listeners
// of each instance going away (EventBridge's "EC2 Instance State-change Notification") and can
// take a Spot instance at its notice's deadline, as EC2 does.
//
// The one deviation from EC2: every instance shares this host, so the wildcard bind address
// 0.0.0.0 in the rendered files, and the AdminServer's 127.0.0.1, become the instance's private IP.

export type { FakeSubnet } from '../fakeEc2.js';
export type { ServiceName } from './server.js';

export interface AwsWorldOptions {
  /** The VPC's subnets; instances get addresses in their CIDRs, which must be loopback (127/8). */
  readonly subnets: readonly FakeSubnet[];
  /** Where the world's directory goes (give it vitest's `testRoot`, so leftovers are caught). */
  readonly dir?: string;
  readonly region?: string;
  /** Each ZooKeeper JVM's heap. */
  readonly heapMb?: number;
  /** How long a server may take to answer `ruok` before its instance runs without it. */
  readonly startTimeoutMs?: number;
  /** FIFO queues to serve (dead-letter queues first: a redrive names one by name). */
  readonly queues?: readonly WorldQueue[];
}

export interface WorldQueue {
  readonly name: string;
  readonly visibilityTimeoutSeconds?: number;
  readonly messageRetentionSeconds?: number;
  readonly redrive?: { readonly deadLetter: string; readonly maxReceiveCount: number };
}

/** "EC2 Instance State-change Notification", as EventBridge delivers it. */
export interface InstanceStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'EC2 Instance State-change Notification';
  readonly source: 'aws.ec2';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: { readonly 'instance-id': string; readonly state: 'shutting-down' | 'terminated' };
}

export interface AwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface AwsWorld {
  readonly endpoint: string;
  /** For `new SSMClient(world.clientConfig)` and the other clients. */
  readonly clientConfig: AwsClientConfig;
  /** For code that makes its own clients (the handlers): AWS_ENDPOINT_URL, region, credentials. */
  readonly env: Readonly<Record<string, string>>;
  readonly ssm: FakeSsm;
  readonly ec2: FakeEc2;
  readonly cloudWatch: FakeCloudWatch;
  /** The FIFO queues, by name. */
  readonly sqs: ReadonlyMap<string, FakeSqsFifo>;
  /** Calls `listener` as each instance goes (shutting-down, then terminated), whoever terminated it. */
  onInstanceStateChange(listener: (event: InstanceStateChangeEvent) => void): void;
  /** EC2 takes the instance at `at` (epoch ms), as it does at a Spot interruption's deadline;
   * resolves with the time it asked for the termination. */
  takeInstanceAt(instanceId: string, at: number): Promise<number>;
  /** Requests per `service:Operation` since the last reset (each SDK attempt counts). */
  calls(): Record<string, number>;
  resetCalls(): void;
  /** The next `calls` requests of the operation fail with the service's throttling error. */
  throttle(service: ServiceName, operation: string, calls: number): void;
  /** RunInstances into the subnet fails with InsufficientInstanceCapacity (HTTP 500) while false. */
  setCapacity(subnetId: string, available: boolean): void;
  /** Resolves once EC2 shows the instance running (its JVM started, or failed to). */
  waitUntilRunning(instanceId: string, timeoutMs?: number): Promise<void>;
  /** kill -9 of the instance's JVM, which EC2 does not notice. */
  killJvm(instanceId: string): Promise<void>;
  stopJvm(instanceId: string, mode?: StopMode): Promise<void>;
  startJvm(instanceId: string): Promise<void>;
  pidOf(instanceId: string): number | undefined;
  /** Stops the server, kills every process the world started and removes its files. */
  close(): Promise<void>;
}

const ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'AKIDTESTWORLD', secretAccessKey: 'test-world-secret' };
const WAIT_STEP_MS = 50;

/** One subnet per zone (`subnet-0e2e<k>`), `127.<x>.<k>.0/24`, with x chosen so that nothing answers on its addresses. */
export async function loopbackSubnets(zones: readonly string[], clientPort = 2181): Promise<FakeSubnet[]> {
  const subnets: FakeSubnet[] = [];
  for (const [k, zone] of zones.entries()) {
    const prefix = await freeAddressPrefix(clientPort, k);
    // Ids shaped as EC2 makes them (the spec accepts no other): subnet-0e2e0, subnet-0e2e1...
    subnets.push({ subnetId: `subnet-0e2e${k.toString(16)}`, zone, cidr: `${prefix}.0/24` });
  }
  return subnets;
}

export async function startAwsWorld(options: AwsWorldOptions): Promise<AwsWorld> {
  const notLoopback = options.subnets.find((s) => !s.cidr.startsWith('127.'));
  if (notLoopback) throw new Error(`AWS test world: subnet ${notLoopback.subnetId} has CIDR ${notLoopback.cidr}; instances run on this host, so it must be loopback (127/8)`);
  const region = options.region ?? 'eu-west-1';
  const sandbox = new InstanceSandbox({
    root: mkdtempSync(join(options.dir ?? tmpdir(), 'aws-world-')),
    java: findJava(),
    install: findZooKeeper(),
    heapMb: options.heapMb ?? 128,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  });
  const ssm = new FakeSsm();
  ssm.shortPages = false;
  const listeners = new Set<(event: InstanceStateChangeEvent) => void>();
  const stateChanged = (instanceId: string, state: 'shutting-down' | 'terminated'): void => {
    const event: InstanceStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: ACCOUNT,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:ec2:${region}:${ACCOUNT}:instance/${instanceId}`],
      detail: { 'instance-id': instanceId, state },
    };
    for (const listener of listeners) listener(event);
  };
  // The sandbox runs the instances; EC2's state changes are seen where it stops one.
  const host: InstanceHost = {
    boot: (id, ip, userData) => sandbox.boot(id, ip, userData),
    console: (id) => sandbox.console(id),
    terminate(id) {
      stateChanged(id, 'shutting-down');
      const done = sandbox.terminate(id);
      // After FakeEc2 marks it terminated (its own continuation of `done` runs first).
      void done.then(() => setTimeout(() => stateChanged(id, 'terminated'), 0));
      return done;
    },
  };
  const ec2 = new FakeEc2(options.subnets, host);
  ec2.describePageSize = undefined;
  const cloudWatch = new FakeCloudWatch();

  const queues = new Map<string, FakeSqsFifo>();
  const queueAt = (url: string | undefined): FakeSqsFifo => {
    const queue = [...queues.values()].find((q) => q.url === url);
    if (!queue) throw new WireError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };
  const server = await startWireServer({
    ssm: {
      GetParameter: op(GetParameter$, (i: GetParameterCommandInput) => ssm.client.send(new GetParameterCommand(i))),
      GetParameters: op(GetParameters$, (i: GetParametersCommandInput) => ssm.client.send(new GetParametersCommand(i))),
      GetParametersByPath: op(GetParametersByPath$, (i: GetParametersByPathCommandInput) => ssm.client.send(new GetParametersByPathCommand(i))),
      GetParameterHistory: op(GetParameterHistory$, (i: GetParameterHistoryCommandInput) => ssm.client.send(new GetParameterHistoryCommand(i))),
      PutParameter: op(PutParameter$, (i: PutParameterCommandInput) => ssm.client.send(new PutParameterCommand(i))),
    },
    ec2: {
      RunInstances: op(RunInstances$, (i: RunInstancesCommandInput) => ec2.client.send(new RunInstancesCommand(i))),
      DescribeInstances: op(DescribeInstances$, (i: DescribeInstancesCommandInput) => ec2.client.send(new DescribeInstancesCommand(i))),
      DescribeInstanceStatus: op(DescribeInstanceStatus$, (i: DescribeInstanceStatusCommandInput) => ec2.client.send(new DescribeInstanceStatusCommand(i))),
      TerminateInstances: op(TerminateInstances$, (i: TerminateInstancesCommandInput) => ec2.client.send(new TerminateInstancesCommand(i))),
      GetConsoleOutput: op(GetConsoleOutput$, (i: GetConsoleOutputCommandInput) => ec2.client.send(new GetConsoleOutputCommand(i))),
      CreateTags: op(CreateTags$, (i: CreateTagsCommandInput) => ec2.client.send(new CreateTagsCommand(i))),
      DescribeSubnets: op(DescribeSubnets$, (i: DescribeSubnetsCommandInput) => ec2.client.send(new DescribeSubnetsCommand(i))),
      DescribeNetworkInterfaces: op(DescribeNetworkInterfaces$, (i: DescribeNetworkInterfacesCommandInput) => ec2.client.send(new DescribeNetworkInterfacesCommand(i))),
    },
    cloudwatch: {
      GetMetricData: op(GetMetricData$, (i: GetMetricDataCommandInput) => cloudWatch.client.send(new GetMetricDataCommand(i))),
      PutMetricData: op(PutMetricData$, (i: PutMetricDataCommandInput) => cloudWatch.client.send(new PutMetricDataCommand(i))),
    },
    sqs: {
      GetQueueUrl: op(GetQueueUrl$, (i: GetQueueUrlCommandInput) => {
        const queue = queues.get(i.QueueName ?? '');
        if (!queue) throw new WireError('QueueDoesNotExist', 'The specified queue does not exist.');
        return queue.client.send(new GetQueueUrlCommand(i));
      }),
      GetQueueAttributes: op(GetQueueAttributes$, (i: GetQueueAttributesCommandInput) => queueAt(i.QueueUrl).client.send(new GetQueueAttributesCommand(i))),
      SendMessageBatch: op(SendMessageBatch$, (i: SendMessageBatchCommandInput) => queueAt(i.QueueUrl).client.send(new SendMessageBatchCommand(i))),
      ReceiveMessage: op(ReceiveMessage$, (i: ReceiveMessageCommandInput) => queueAt(i.QueueUrl).client.send(new ReceiveMessageCommand(i))),
      DeleteMessage: op(DeleteMessage$, (i: DeleteMessageCommandInput) => queueAt(i.QueueUrl).client.send(new DeleteMessageCommand(i))),
      ChangeMessageVisibility: op(ChangeMessageVisibility$, (i: ChangeMessageVisibilityCommandInput) => queueAt(i.QueueUrl).client.send(new ChangeMessageVisibilityCommand(i))),
    },
  }, {
    sqs: queryErrorsOf([
      QueueDoesNotExist$,
      ReceiptHandleIsInvalid$,
      MessageNotInflight$,
      EmptyBatchRequest$,
      TooManyEntriesInBatchRequest$,
      BatchEntryIdsNotDistinct$,
      BatchRequestTooLong$,
      RequestThrottled$,
    ]),
  });
  for (const { name, redrive, ...attributes } of options.queues ?? []) {
    const deadLetter = redrive ? queues.get(redrive.deadLetter) : undefined;
    if (redrive && !deadLetter) throw new Error(`AWS test world: queue ${name}'s dead-letter queue ${redrive.deadLetter} is not declared before it`);
    const policy = redrive && deadLetter ? { redrive: { deadLetter, maxReceiveCount: redrive.maxReceiveCount } } : {};
    queues.set(name, new FakeSqsFifo(name, () => Date.now(), { endpoint: server.endpoint, region, ...attributes, ...policy }));
  }
  const takes = new Set<NodeJS.Timeout>();

  const clientConfig = { endpoint: server.endpoint, region, credentials: CREDENTIALS };
  return {
    endpoint: server.endpoint,
    clientConfig,
    env: { AWS_ENDPOINT_URL: server.endpoint, AWS_REGION: region, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
    ssm,
    ec2,
    cloudWatch,
    sqs: queues,
    onInstanceStateChange: (listener) => void listeners.add(listener),
    takeInstanceAt: (instanceId, at) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          takes.delete(timer);
          const takenAt = Date.now();
          Promise.resolve(ec2.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))).then(() => resolve(takenAt), reject);
        }, Math.max(0, at - Date.now()));
        takes.add(timer);
      }),
    calls: () => Object.fromEntries([...server.calls].sort(([a], [b]) => a.localeCompare(b))),
    resetCalls: () => server.calls.clear(),
    throttle: (service, operation, calls) => void server.throttled.set(`${service}:${operation}`, calls),
    setCapacity: (subnetId, available) => void (available ? ec2.noCapacity.delete(subnetId) : ec2.noCapacity.add(subnetId)),
    async waitUntilRunning(instanceId, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = ec2.instances.get(instanceId)?.State?.Name;
        if (state === 'running') return;
        if (state !== 'pending') throw new Error(`instance ${instanceId} is ${state ?? 'unknown'}, not on its way to running`);
        if (Date.now() > deadline) throw new Error(`instance ${instanceId} still pending after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      }
    },
    killJvm: (instanceId) => sandbox.killJvm(instanceId),
    stopJvm: (instanceId, mode) => sandbox.stopJvm(instanceId, mode),
    startJvm: (instanceId) => sandbox.startJvm(instanceId),
    pidOf: (instanceId) => sandbox.pidOf(instanceId),
    async close() {
      for (const timer of takes) clearTimeout(timer);
      listeners.clear();
      for (const queue of queues.values()) queue.close();
      await server.close();
      await sandbox.close();
    },
  };
}

function op<I, O extends object>(schema: StaticOperationSchema, send: (input: I) => Promise<O>): Operation {
  return { schema, send: send as (input: never) => Promise<object> };
}
