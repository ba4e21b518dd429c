import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { DeleteParameterCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EC2_CONFIG_DIR, EC2_DATA_DIR, renderUserData } from '../../../lib/adapters/aws/userData.js';
import { SsmStateStore } from '../../../lib/adapters/aws/ssmStateStore.js';
import { ZooKeeperSettingsSchema } from '../../../lib/config/index.js';
import { memberAt, renderServerFiles } from '../../../lib/core/index.js';
import { superDigest } from '../../../lib/zk/auth.js';
import { sendFourLetterWord } from '../../../lib/zk/fourLetterWord.js';
import { loopbackSubnets, startAwsWorld, type AwsWorld, type FakeSubnet } from '../../support/awsWorld/index.js';

// The AWS test world through the real SDK v3 clients: each protocol's round trip, the behaviours
// docs/aws-facts.md documents, and one instance that boots a real ZooKeeper from its user data.

let world: AwsWorld;
let subnets: FakeSubnet[];
let ssm: SSMClient;
let ec2: EC2Client;
let cloudWatch: CloudWatchClient;

beforeAll(async () => {
  subnets = await loopbackSubnets(['eu-west-1a', 'eu-west-1b']);
  world = await startAwsWorld({ subnets, dir: inject('testRoot') });
  ssm = new SSMClient(world.clientConfig);
  ec2 = new EC2Client(world.clientConfig);
  cloudWatch = new CloudWatchClient(world.clientConfig);
});

afterAll(async () => {
  await world?.close();
});

function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number; attempts?: number } }> {
  return p.then(
    () => expect.fail('the call answered'),
    (err: { name: string; message: string; $metadata: { httpStatusCode?: number; attempts?: number } }) => err,
  );
}

const subnetA = (): FakeSubnet => subnets[0] as FakeSubnet;
const hostIn = (subnet: FakeSubnet, last: number): string => subnet.cidr.replace(/\.0\/24$/, `.${last}`);

function launch(overrides: Partial<RunInstancesCommandInput> = {}): Promise<Instance> {
  return ec2
    .send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '1' }, SubnetId: subnetA().subnetId, MinCount: 1, MaxCount: 1, ...overrides }))
    .then((out) => out.Instances?.[0] ?? expect.fail('no instance'));
}

async function describeOne(id: string): Promise<Instance | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0];
}

async function waitForState(id: string, state: string): Promise<void> {
  for (let i = 0; i < 400 && (await describeOne(id))?.State?.Name !== state; i++) await new Promise((r) => setTimeout(r, 50));
  expect((await describeOne(id))?.State?.Name).toBe(state);
}

describe('SSM (awsJson1_1)', () => {
  it('creates a parameter only with a Type, counts versions from 1, and refuses a duplicate create', async () => {
    const name = '/world/versions';
    expect((await rejection(ssm.send(new PutParameterCommand({ Name: name, Value: 'v' })))).name).toBe('ValidationException');
    expect((await ssm.send(new PutParameterCommand({ Name: name, Value: 'one', Type: 'String' }))).Version).toBe(1);
    expect((await rejection(ssm.send(new PutParameterCommand({ Name: name, Value: 'two' })))).name).toBe('ParameterAlreadyExists');
    expect((await ssm.send(new PutParameterCommand({ Name: name, Value: 'two', Overwrite: true }))).Version).toBe(2);
    expect((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter).toMatchObject({ Name: name, Value: 'two', Version: 2, Type: 'String' });
    const missing = await rejection(ssm.send(new GetParameterCommand({ Name: '/world/none' })));
    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(['ParameterNotFound', 400]);
  });

  it('takes 4,096 characters in a standard parameter and refuses 4,097', async () => {
    expect((await ssm.send(new PutParameterCommand({ Name: '/world/big', Value: 'é'.repeat(4096), Type: 'String' }))).Version).toBe(1);
    const refused = await rejection(ssm.send(new PutParameterCommand({ Name: '/world/bigger', Value: 'x'.repeat(4097), Type: 'String' })));
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toContain('4096 characters');
  });

  it('pages GetParametersByPath by at most 10 and refuses MaxResults 11', async () => {
    for (let i = 0; i < 23; i++) world.ssm.set(`/paged/p${String(i).padStart(2, '0')}`, String(i));
    const pages: number[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new GetParametersByPathCommand({ Path: '/paged', Recursive: true, MaxResults: 10, NextToken: token }));
      pages.push(page.Parameters?.length ?? 0);
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual([10, 10, 3]);
    expect((await rejection(ssm.send(new GetParametersByPathCommand({ Path: '/paged', MaxResults: 11 })))).name).toBe('ValidationException');
  });

  it('gives a SecureString\'s value only WithDecryption', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/world/super-password', Value: 'a-password-of-at-least-24-chars', Type: 'SecureString' }));
    const encrypted = await ssm.send(new GetParameterCommand({ Name: '/world/super-password' }));
    expect(encrypted.Parameter?.Type).toBe('SecureString');
    expect(encrypted.Parameter?.Value).not.toContain('a-password');
    expect((await ssm.send(new GetParameterCommand({ Name: '/world/super-password', WithDecryption: true }))).Parameter?.Value).toBe('a-password-of-at-least-24-chars');
  });

  it('answers an operation it does not model, and a missing required field, as errors', async () => {
    expect((await rejection(ssm.send(new DeleteParameterCommand({ Name: '/world/versions' })))).name).toBe('UnknownOperationException');
    const missing = await rejection(ssm.send(new GetParameterCommand({} as { Name: string })));
    expect([missing.name, missing.message]).toEqual(['ValidationException', expect.stringContaining("'Name'")]);
  });

  it('throttles the next N calls of an operation with ThrottlingException, which the SDK retries', async () => {
    world.resetCalls();
    world.throttle('ssm', 'GetParameter', 2);
    expect((await ssm.send(new GetParameterCommand({ Name: '/world/versions' }))).Parameter?.Value).toBe('two');
    expect(world.calls()['ssm:GetParameter']).toBe(3);
    world.throttle('ssm', 'GetParameter', 3);
    const throttled = await rejection(ssm.send(new GetParameterCommand({ Name: '/world/versions' })));
    expect([throttled.name, throttled.$metadata.attempts]).toEqual(['ThrottlingException', 3]);
  });

  it('serves the project\'s SSM store, its cluster listing paged through', async () => {
    const store = new SsmStateStore(new SSMClient(world.clientConfig), '/zk-autoscaler/world');
    for (let i = 0; i < 12; i++) world.ssm.set(`/zk-autoscaler/world/c${String(i).padStart(2, '0')}/spec`, '{}');
    expect(await store.listClusters()).toHaveLength(12);
  });

  it('is reached by clients made from the environment alone, as the handlers make them', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, world.env);
    try {
      const fromEnv = new SSMClient({});
      expect((await fromEnv.send(new GetParameterCommand({ Name: '/world/versions' }))).Parameter?.Version).toBe(2);
    } finally {
      process.env = saved;
    }
  });
});

describe('EC2 (query protocol, XML answers)', () => {
  it('describes its subnets with their zones and CIDRs', async () => {
    const out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnets.map((s) => s.subnetId) }));
    expect(out.Subnets?.map((s) => [s.SubnetId, s.AvailabilityZone, s.CidrBlock])).toEqual(subnets.map((s) => [s.subnetId, s.zone, s.cidr]));
    expect((await rejection(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-nowhere'] })))).name).toBe('InvalidSubnetID.NotFound');
  });

  it('launches pending, then running; keeps the ClientToken; returns the same instance for the same token and refuses it with other parameters', async () => {
    const first = await launch({ ClientToken: 'world-token-1', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'first' }] }] });
    expect(first.State?.Name).toBe('pending');
    await waitForState(first.InstanceId ?? '', 'running');
    const shown = await describeOne(first.InstanceId ?? '');
    expect(shown).toMatchObject({ ClientToken: 'world-token-1', SubnetId: subnetA().subnetId, Placement: { AvailabilityZone: subnetA().zone }, Tags: [{ Key: 'role', Value: 'first' }] });
    const again = await launch({ ClientToken: 'world-token-1', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'first' }] }] });
    expect(again.InstanceId).toBe(first.InstanceId);
    const mismatch = await rejection(launch({ ClientToken: 'world-token-1', SubnetId: subnets[1]?.subnetId }));
    expect([mismatch.name, mismatch.$metadata.httpStatusCode]).toEqual(['IdempotentParameterMismatch', 400]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.InstanceId ?? ''] }));
  });

  it('answers InsufficientInstanceCapacity as HTTP 500, which the SDK retries with the same token', async () => {
    world.setCapacity(subnetA().subnetId, false);
    world.resetCalls();
    try {
      const refused = await rejection(launch({ ClientToken: 'world-capacity' }));
      expect([refused.name, refused.$metadata.httpStatusCode, refused.$metadata.attempts]).toEqual(['InsufficientInstanceCapacity', 500, 3]);
      expect(world.calls()['ec2:RunInstances']).toBe(3);
      expect(world.ec2.runs.slice(-3).map((r) => r.ClientToken)).toEqual(Array(3).fill('world-capacity'));
    } finally {
      world.setCapacity(subnetA().subnetId, true);
    }
  });

  it('gives each instance the lowest free address past the 4 reserved ones, refuses one in use, and frees it at termination', async () => {
    const subnet = subnets[1] as FakeSubnet;
    const a = await launch({ SubnetId: subnet.subnetId });
    expect(a.PrivateIpAddress).toBe(hostIn(subnet, 4));
    const b = await launch({ SubnetId: subnet.subnetId, PrivateIpAddress: hostIn(subnet, 9) });
    expect(b.PrivateIpAddress).toBe(hostIn(subnet, 9));
    const inUse = await rejection(launch({ SubnetId: subnet.subnetId, PrivateIpAddress: hostIn(subnet, 4) }));
    expect(inUse.name).toBe('InvalidIPAddress.InUse');
    expect((await rejection(launch({ SubnetId: subnet.subnetId, PrivateIpAddress: hostIn(subnet, 2) }))).name).toBe('InvalidParameterValue');
    const terminating = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.InstanceId ?? ''] }));
    expect(terminating.TerminatingInstances?.[0]?.CurrentState?.Name).toMatch(/shutting-down|terminated/);
    await waitForState(a.InstanceId ?? '', 'terminated');
    const c = await launch({ SubnetId: subnet.subnetId });
    expect(c.PrivateIpAddress).toBe(hostIn(subnet, 4));
    // Still listed after termination, as EC2 lists them for a while.
    const terminated = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['terminated'] }] }));
    expect(terminated.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toContain(a.InstanceId);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [b.InstanceId ?? '', c.InstanceId ?? ''] }));
  });

  it('filters by tag, state, address and id; tags existing instances; shows each live instance\'s interface, status and console', async () => {
    const i = await launch({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'cluster', Value: 'filters' }] }] });
    const id = i.InstanceId ?? '';
    await waitForState(id, 'running');
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'adopted', Value: 'yes' }] }));
    const ids = async (filters: { Name: string; Values: string[] }[]): Promise<(string | undefined)[]> =>
      ((await ec2.send(new DescribeInstancesCommand({ Filters: filters }))).Reservations ?? []).flatMap((r) => r.Instances ?? []).map((x) => x.InstanceId);
    expect(await ids([{ Name: 'tag:cluster', Values: ['filters'] }, { Name: 'tag:adopted', Values: ['yes'] }])).toEqual([id]);
    expect(await ids([{ Name: 'private-ip-address', Values: [i.PrivateIpAddress ?? ''] }, { Name: 'instance-state-name', Values: ['running'] }])).toEqual([id]);
    expect(await ids([{ Name: 'instance-id', Values: [id] }])).toEqual([id]);
    expect((await rejection(ids([{ Name: 'vpc-id', Values: ['vpc-world'] }]))).name).toBe('InvalidParameterValue');
    const interfaces = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: [i.PrivateIpAddress ?? ''] }] }));
    expect(interfaces.NetworkInterfaces?.map((n) => [n.Attachment?.InstanceId, n.PrivateIpAddresses?.[0]?.PrivateIpAddress])).toEqual([[id, i.PrivateIpAddress]]);
    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }));
    expect(status.InstanceStatuses?.map((s) => [s.InstanceState?.Name, s.SystemStatus?.Status, s.InstanceStatus?.Status])).toEqual([['running', 'ok', 'ok']]);
    expect((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).InstanceId).toBe(id);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitForState(id, 'terminated');
    expect((await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: [i.PrivateIpAddress ?? ''] }] }))).NetworkInterfaces).toEqual([]);
  });

  it('answers an action it does not model, a missing parameter and an unknown instance as EC2 does', async () => {
    const action = await rejection(ec2.send(new DescribeVpcsCommand({})));
    expect([action.name, action.$metadata.httpStatusCode]).toEqual(['InvalidAction', 400]);
    expect((await rejection(ec2.send(new RunInstancesCommand({ MaxCount: 1, SubnetId: subnetA().subnetId } as RunInstancesCommandInput))))).toMatchObject({ name: 'MissingParameter', message: expect.stringContaining('MinCount') });
    expect((await rejection(ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-99999999'] })))).name).toBe('InvalidInstanceID.NotFound');
    expect((await rejection(launch({ UserData: 'not base64!' }))).message).toContain('BASE64');
  });

  it('throttles with RequestLimitExceeded (HTTP 503), which the SDK retries', async () => {
    world.throttle('ec2', 'DescribeInstances', 1);
    await ec2.send(new DescribeInstancesCommand({}));
    world.throttle('ec2', 'DescribeInstances', 3);
    const throttled = await rejection(ec2.send(new DescribeInstancesCommand({})));
    expect([throttled.name, throttled.$metadata.httpStatusCode]).toEqual(['RequestLimitExceeded', 503]);
  });
});

describe('CloudWatch (awsJson1_0)', () => {
  it('returns what PutMetricData stored through GetMetricData', async () => {
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
    const dims = [{ Name: 'cluster', Value: 'world' }];
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: 'ZkAutoscaler', MetricData: [{ MetricName: 'Connections', Dimensions: dims, Timestamp: at, Values: [4, 8], Unit: 'Count' }] }));
    const out = await cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(at.getTime() - 60_000),
        EndTime: new Date(),
        MetricDataQueries: [{ Id: 'connections', MetricStat: { Metric: { Namespace: 'ZkAutoscaler', MetricName: 'Connections', Dimensions: dims }, Period: 60, Stat: 'Average' } }],
      }),
    );
    expect(out.MetricDataResults?.[0]).toMatchObject({ Id: 'connections', Timestamps: [at], Values: [6] });
  });

  it('refuses an AWS/ namespace, an operation it does not model, and throttles with Throttling', async () => {
    expect((await rejection(cloudWatch.send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'x', Value: 1 }] })))).name).toMatch(/InvalidParameterValue/);
    expect((await rejection(cloudWatch.send(new ListMetricsCommand({})))).name).toBe('UnknownOperationException');
    world.throttle('cloudwatch', 'GetMetricData', 3);
    const throttled = await rejection(cloudWatch.send(new GetMetricDataCommand({ StartTime: new Date(0), EndTime: new Date(), MetricDataQueries: [] })));
    expect([throttled.name, throttled.$metadata.attempts]).toEqual(['Throttling', 3]);
  });
});

describe('an instance', () => {
  it('boots a real ZooKeeper from its user data on its private address, and terminate kills it', async () => {
    const started = Date.now();
    const subnet = subnetA();
    const ip = hostIn(subnet, 10);
    const settings = ZooKeeperSettingsSchema.parse({ heapMb: 128, preAllocSizeKb: 4096 });
    const files = renderServerFiles({
      cluster: 'world',
      settings,
      allowEvenVoters: false,
      serverId: 1,
      host: ip,
      configDir: EC2_CONFIG_DIR,
      dataDir: EC2_DATA_DIR,
      superDigest: superDigest('a-password-of-at-least-24-chars'),
      membership: { kind: 'initial', members: [memberAt(settings, 1, ip, 'voter')] },
    });
    const instance = await launch({ PrivateIpAddress: ip, UserData: Buffer.from(renderUserData(files), 'utf8').toString('base64') });
    const id = instance.InstanceId ?? '';
    await world.waitUntilRunning(id);
    // Running means the JVM answers; serving follows once the lone voter has elected itself.
    let srvr = '';
    for (let i = 0; i < 200 && !/Mode: /.test(srvr); i++) {
      srvr = await sendFourLetterWord(ip, settings.clientPort, 'srvr', 2000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(srvr).toMatch(/Mode: (leader|standalone)/);
    const bootLog = Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString('utf8');
    expect(bootLog).toContain('user data exited with code 0');
    expect(bootLog).toContain('QuorumPeer');
    const pid = world.pidOf(id);
    expect(pid).toBeGreaterThan(0);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitForState(id, 'terminated');
    expect(world.pidOf(id)).toBeUndefined();
    await expect(sendFourLetterWord(ip, settings.clientPort, 'srvr', 1000)).rejects.toThrow();
    console.info(`single-instance boot to terminated: ${Date.now() - started} ms`);
  }, 120_000);
});
