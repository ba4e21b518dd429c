import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { clientToken, Ec2Fleet, TAG } from '../../../lib/adapters/aws/ec2Fleet.js';
import { jsonLog } from '../../../lib/adapters/local/index.js';
import { ClusterSpecSchema } from '../../../lib/config/index.js';
import { memberAt, parseDynamicConfig } from '../../../lib/core/index.js';
import { InvalidInputError } from '../../../lib/errors.js';
import { FakeEc2 } from '../../support/fakeEc2.js';

// The EC2 Fleet at the SDK command level.

const spec = ClusterSpecSchema.parse({
  cluster: 'orders',
  launchTemplate: { id: 'lt-0abc', version: '7' },
  zones: [
    { name: 'eu-west-1a', subnetId: 'subnet-a' },
    { name: 'eu-west-1b', subnetId: 'subnet-b' },
    { name: 'eu-west-1c', subnetId: 'subnet-c' },
  ],
});
const committed = [1, 2, 3].map((id) => memberAt(spec.zookeeper, id, `10.0.1.${id}`, 'voter'));
const request = { spec, serverId: 4, role: 'voter' as const, zone: 'eu-west-1b', operationId: 'replace-4', committed };

function setup() {
  const ec2 = new FakeEc2({ 'subnet-a': 'eu-west-1a', 'subnet-b': 'eu-west-1b', 'subnet-c': 'eu-west-1c' });
  return { ec2, fleet: new Ec2Fleet(ec2.client, 'orders', 'secret', jsonLog(() => undefined)) };
}

describe('Ec2Fleet', () => {
  it('launches from the template into the chosen zone\'s subnet, tagged, with the bootstrap\'s files as user data and a token from the operation', async () => {
    const { ec2, fleet } = setup();
    await fleet.launch(request);
    const run = ec2.runs[0];
    expect(run).toMatchObject({
      LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '7' },
      SubnetId: 'subnet-b',
      MinCount: 1,
      MaxCount: 1,
      ClientToken: 'zka-orders-replace-4-eu-west-1b',
    });
    const tags = Object.fromEntries((run?.TagSpecifications?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ [TAG.cluster]: 'orders', [TAG.serverId]: '4', [TAG.role]: 'voter', [TAG.operation]: 'replace-4', [TAG.templateVersion]: '7' });
    const script = Buffer.from(run?.UserData ?? '', 'base64').toString('utf8');
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('reconfigEnabled=true');
    const dynamic = /zoo\.cfg\.dynamic <<'ZK_AUTOSCALER_EOF'\n([\s\S]*?)ZK_AUTOSCALER_EOF/.exec(script)?.[1] ?? '';
    expect(parseDynamicConfig(dynamic, 'user data').map((m) => `${m.serverId}:${m.role}:${m.host}`)).toEqual(['1:voter:10.0.1.1', '2:voter:10.0.1.2', '3:voter:10.0.1.3', '4:observer:0.0.0.0']);
  });

  it('finds the operation\'s instance when a later tick retries the launch, or, while EC2 does not list it yet, sends the same token', async () => {
    const { ec2, fleet } = setup();
    const first = await fleet.launch(request);
    expect((await fleet.launch(request)).instanceId).toBe(first.instanceId);
    expect(ec2.runs).toHaveLength(1);
    ec2.describeLag = 3;
    const lagged = await fleet.launch({ ...request, serverId: 5, operationId: 'add-5' });
    const again = await fleet.launch({ ...request, serverId: 5, operationId: 'add-5' });
    expect(again.instanceId).toBe(lagged.instanceId);
    expect(ec2.runs.map((r) => r.ClientToken).slice(1)).toEqual(['zka-orders-add-5-eu-west-1b', 'zka-orders-add-5-eu-west-1b']);
    expect(ec2.instances.size).toBe(2);
  });

  it('launches one instance per operation across a capacity fallback, though the zone it asked for has capacity again', async () => {
    const { ec2, fleet } = setup();
    ec2.noCapacity.add('subnet-b');
    const first = await fleet.launch(request);
    expect(first.zone).toBe('eu-west-1a');
    ec2.noCapacity.delete('subnet-b');
    const again = await fleet.launch(request); // the next tick still asks for eu-west-1b
    expect(again).toMatchObject({ instanceId: first.instanceId, zone: 'eu-west-1a' });
    expect([...ec2.instances.values()].filter((i) => i.State?.Name !== 'terminated')).toHaveLength(1);
  });

  it('lists terminated instances while EC2 does, so a gone server is seen at once', async () => {
    const { ec2, fleet } = setup();
    await fleet.launch(request);
    ec2.boot();
    await fleet.terminate(4);
    expect((await fleet.list()).map((i) => [i.serverId, i.state])).toEqual([[4, 'terminated']]);
  });

  it('keeps the last 20 lines of a server\'s console output as its boot log', async () => {
    const { ec2, fleet } = setup();
    const instance = await fleet.launch(request);
    expect(await fleet.bootLog(4)).toBeUndefined();
    ec2.consoles.set(instance.instanceId, Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n'));
    expect((await fleet.bootLog(4))?.split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 11}`));
    expect(await fleet.bootLog(9)).toBeUndefined();
  });

  it('moves on to the next zone when one has no capacity', async () => {
    const { ec2, fleet } = setup();
    ec2.noCapacity.add('subnet-b');
    const instance = await fleet.launch(request);
    expect(ec2.runs.map((r) => r.SubnetId)).toEqual(['subnet-b', 'subnet-a']);
    expect(instance.zone).toBe('eu-west-1a');
  });

  it('terminates only instances tagged for this cluster and server, and refuses one that is not', async () => {
    const { ec2, fleet } = setup();
    await fleet.launch(request);
    ec2.instances.set('i-stranger', { InstanceId: 'i-stranger', State: { Name: 'running' }, Tags: [{ Key: TAG.serverId, Value: '4' }] });
    await fleet.terminate(4);
    expect(ec2.instances.get('i-stranger')?.State?.Name).toBe('running');
    expect([...ec2.instances.values()].filter((i) => i.State?.Name === 'terminated')).toHaveLength(1);

    // Should a describe ever return an instance without our tags, it is refused, and nothing is terminated.
    ec2.mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [ec2.instances.get('i-stranger') ?? {}] }] });
    await expect(fleet.terminate(4)).rejects.toThrow('instance i-stranger: not tagged zk-autoscaler:cluster=orders, zk-autoscaler:server-id=4; refused');
    expect(ec2.mock.commandCalls(TerminateInstancesCommand)).toHaveLength(1);
  });

  it('reports impaired status checks, and skips instances whose server-id tag is malformed', async () => {
    const { ec2, fleet } = setup();
    const instance = await fleet.launch(request);
    ec2.boot();
    ec2.impaired.add(instance.instanceId);
    ec2.instances.set('i-bad', { InstanceId: 'i-bad', State: { Name: 'running' }, Tags: [{ Key: TAG.cluster, Value: 'orders' }, { Key: TAG.serverId, Value: 'four' }] });
    expect((await fleet.list()).map((i) => [i.serverId, i.state, i.zone])).toEqual([[4, 'impaired', 'eu-west-1b']]);
  });

  it('refuses a spec without a launch template or a zone without a subnet, launching nothing', async () => {
    const { ec2, fleet } = setup();
    const { launchTemplate: _, ...bare } = spec;
    await expect(fleet.launch({ ...request, spec: bare })).rejects.toThrow(InvalidInputError);
    await expect(fleet.launch({ ...request, spec: { ...spec, zones: [{ name: 'eu-west-1b' }] } })).rejects.toThrow('zones: zone eu-west-1b has no subnetId');
    expect(ec2.runs).toEqual([]);
  });

  it('keeps client tokens within 64 characters, stable for one operation and zone', () => {
    const long = clientToken('a-very-long-cluster-name-that-goes-on-and-on', 'replace-200', 'eu-central-1a');
    expect(long.length).toBeLessThanOrEqual(64);
    expect(clientToken('a-very-long-cluster-name-that-goes-on-and-on', 'replace-200', 'eu-central-1a')).toBe(long);
  });
});
