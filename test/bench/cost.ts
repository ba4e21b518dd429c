import { DescribeInstancesCommand, DescribeInstanceStatusCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, GetParameterHistoryCommand, GetParametersByPathCommand, GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { Ec2Fleet, SsmStateStore } from '../../lib/adapters/aws/index.js';
import { jsonLog } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema, initialState } from '../../lib/config/index.js';
import { launchRequest, runTick } from '../../lib/controller/index.js';
import { memberAt, type ServerId } from '../../lib/core/index.js';
import { superUserOf } from '../../lib/wiring/local.js';
import { ModelFleet } from '../../lib/sim/index.js';
import { FakeEc2 } from '../support/fakeEc2.js';
import { FakeSsm } from '../support/fakeSsm.js';
import { modelDeps } from '../support/modelPorts.js';

// What the controller costs in AWS calls, counted through the real AWS adapters on SDK mocks with
// SSM and EC2 semantics: per cluster per steady tick, per replacement, and SSM writes per hour.

export interface Cost {
  readonly steadyTick: Record<string, number>;
  readonly replacement: Record<string, number>;
  readonly ssmWritesPerSteadyHour: number;
}

export async function measureCost(): Promise<Cost> {
  const ssm = new FakeSsm();
  const store = new SsmStateStore(ssm.client);
  const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a', subnetId: 'subnet-a' }], launchTemplate: { id: 'lt-1', version: '1' } });
  await store.writeSpec('orders', spec);
  ssm.set('/zk-autoscaler/orders/super-password', 'a-password-of-at-least-24-chars', 'SecureString');
  const lease = await store.acquireLease('orders', 'setup', 1000, Date.now());
  if (!lease) throw new Error('lease');
  await store.writeState('orders', { ...initialState('orders', 4), leader: { serverId: 1, changes: [] } }, lease);
  await store.releaseLease(lease);
  const model = new ModelFleet(spec, [1, 2, 3]);
  const modelled = modelDeps(store, new Map([['orders', model]]));
  // As the AWS wiring does, the super password is read only when a launch or a reconfig needs it.
  const deps = { ...modelled, portsFor: async (cluster: string, s: typeof spec) => modelled.portsFor(cluster, s) };
  const ssmCalls = (): Record<string, number> => ({
    'ssm:GetParameter': ssm.mock.commandCalls(GetParameterCommand).length,
    'ssm:GetParameters': ssm.mock.commandCalls(GetParametersCommand).length,
    'ssm:GetParametersByPath': ssm.mock.commandCalls(GetParametersByPathCommand).length,
    'ssm:GetParameterHistory': ssm.mock.commandCalls(GetParameterHistoryCommand).length,
    'ssm:PutParameter': ssm.mock.commandCalls(PutParameterCommand).length,
  });
  const diff = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

  await runTick(deps, { kind: 'schedule' }); // publishes the connect strings once
  let before = ssmCalls();
  for (let minute = 0; minute < 60; minute++) {
    model.tick = minute;
    await runTick(deps, { kind: 'schedule' });
  }
  const hour = diff(ssmCalls(), before);
  const ssmWritesPerSteadyHour = hour['ssm:PutParameter'] ?? 0;

  // The EC2 side of one tick: listing the fleet with its status checks.
  const ec2 = new FakeEc2();
  const fleet = new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-bench', cluster: 'orders', log: jsonLog(() => undefined) });
  const ports = { fleet, superUser: superUserOf({ read: async () => 'a-password-of-at-least-24-chars' }, 'orders') };
  const committed = [1, 2, 3].map((id) => memberAt(spec.zookeeper, id, `10.0.0.${id}`, 'voter'));
  const joiner = (serverId: ServerId, operationId: string) => launchRequest(spec, ports, { serverId, role: 'voter', zone: 'a', operationId }, { kind: 'join', committed: committed.filter((m) => m.serverId !== serverId) });
  for (const id of [1, 2, 3]) await fleet.launch(await joiner(id, `seed-${id}`));
  ec2.boot();
  ec2.mock.resetHistory();
  await fleet.list();
  const ec2List = { 'ec2:DescribeInstances': ec2.mock.commandCalls(DescribeInstancesCommand).length, 'ec2:DescribeInstanceStatus': ec2.mock.commandCalls(DescribeInstanceStatusCommand).length };
  const steadyTick = { ...Object.fromEntries(Object.entries(hour).map(([k, v]) => [k, v / 60])), ...ec2List };

  // One replacement of a failed voter, tick by tick until the cluster rests again.
  const server = model.servers.get(2);
  if (server) server.state = 'stopped';
  before = ssmCalls();
  let ticks = 0;
  for (let minute = 60; minute < 120; minute++) {
    model.tick = minute;
    ticks++;
    const [r] = await runTick(deps, { kind: 'schedule' });
    if (minute > 61 && r?.outcome === 'steady') break;
  }
  ec2.mock.resetHistory();
  await fleet.launch(await joiner(4, 'replace-4'));
  await fleet.terminate(2);
  const replacement = {
    ...diff(ssmCalls(), before),
    ticks,
    'ec2:RunInstances': ec2.mock.commandCalls(RunInstancesCommand).length,
    'ec2:TerminateInstances': ec2.mock.commandCalls(TerminateInstancesCommand).length,
    'ec2:DescribeInstances (per tick, as above)': ec2List['ec2:DescribeInstances'],
  };
  return { steadyTick, replacement, ssmWritesPerSteadyHour };
}
