import { DescribeInstancesCommand, DescribeInstanceStatusCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { clientToken, Ec2Fleet, Ec2Listings, TAG } from '../../../lib/adapters/aws/ec2Fleet.js';
import { jsonLog } from '../../../lib/adapters/local/index.js';
import { ClusterSpecSchema, EnvSchema } from '../../../lib/config/index.js';
import { launchRequest } from '../../../lib/controller/index.js';
import { memberAt, parseDynamicConfig, type ServerId } from '../../../lib/core/index.js';
import { InvalidInputError } from '../../../lib/errors.js';
import type { LaunchRequest } from '../../../lib/ports/index.js';
import { superUserOf } from '../../../lib/wiring/local.js';
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
/** A joiner's launch as the controller renders it for EC2's layout. */
function launchOf(serverId: ServerId, operationId: string): Promise<LaunchRequest> {
  const fleet = new Ec2Fleet(new FakeEc2().client, { deployment: 'zk-autoscaler-prod', cluster: 'orders', log: jsonLog(() => undefined) });
  return launchRequest(spec, { fleet, superUser: superUserOf({ read: async () => 'secret' }, 'orders') }, { serverId, role: 'voter', zone: 'eu-west-1b', operationId }, { kind: 'join', committed });
}
const request = await launchOf(4, 'replace-4');

const quiet = jsonLog(() => undefined);

function setup() {
  const ec2 = new FakeEc2({ 'subnet-a': 'eu-west-1a', 'subnet-b': 'eu-west-1b', 'subnet-c': 'eu-west-1c' });
  return { ec2, fleet: new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-prod', cluster: 'orders', log: quiet }) };
}

/** A fleet whose warnings are kept. */
function watched(ec2: FakeEc2, deployment: string): { fleet: Ec2Fleet; warnings: string[] } {
  const warnings: string[] = [];
  const log = jsonLog((line) => {
    const entry = JSON.parse(line) as { level: string; message: string; instanceId?: string };
    if (entry.level === 'warn') warnings.push(`${entry.instanceId}: ${entry.message}`);
  }, 'debug');
  return { fleet: new Ec2Fleet(ec2.client, { deployment, cluster: 'orders', log }), warnings };
}

describe('Ec2Fleet', () => {
  it('launches from the template into the chosen zone\'s subnet, tagged, with the rendered files as user data and a token from the operation', async () => {
    const { ec2, fleet } = setup();
    await fleet.launch(request);
    const run = ec2.runs[0];
    expect(run).toMatchObject({
      LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '7' },
      SubnetId: 'subnet-b',
      MinCount: 1,
      MaxCount: 1,
      ClientToken: clientToken('zk-autoscaler-prod', 'orders', 'replace-4', 'eu-west-1b'),
    });
    const tags = Object.fromEntries((run?.TagSpecifications?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ [TAG.deployment]: 'zk-autoscaler-prod', [TAG.cluster]: 'orders', [TAG.serverId]: '4', [TAG.role]: 'voter', [TAG.operation]: 'replace-4', [TAG.templateVersion]: '7', [TAG.launchedBy]: run?.ClientToken });
    const script = Buffer.from(run?.UserData ?? '', 'base64').toString('utf8');
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('reconfigEnabled=true');
    expect(script).toContain('admin.serverAddress=127.0.0.1\n');
    // Every file the script writes holds or sits beside the super digest: owner-only, from the start.
    expect(script).toMatch(/^umask 077$/m);
    for (const file of ['/etc/zookeeper/conf/zoo.cfg', '/etc/zookeeper/conf/zoo.cfg.dynamic', '/var/lib/zookeeper/myid']) {
      expect(script).toContain(`install -m 0600 -o zookeeper -g zookeeper /dev/null ${file}\n`);
    }
    expect(script).toContain('install -d -m 0750 -o zookeeper -g zookeeper /etc/zookeeper/conf\n');
    // ZooKeeper's own rewrites of zoo.cfg after a reconfig get the unit's umask.
    expect(script).toContain('UMask=0077');
    expect(script).not.toContain('|| true');
    const dynamic = /zoo\.cfg\.dynamic <<'ZK_AUTOSCALER_EOF'\n([\s\S]*?)ZK_AUTOSCALER_EOF/.exec(script)?.[1] ?? '';
    expect(parseDynamicConfig(dynamic, 'user data').map((m) => `${m.serverId}:${m.role}:${m.host}`)).toEqual(['1:voter:10.0.1.1', '2:voter:10.0.1.2', '3:voter:10.0.1.3', '4:observer:0.0.0.0']);
  });

  it('finds the operation\'s instance when a later tick retries the launch, or, while EC2 does not list it yet, sends the same token', async () => {
    const { ec2, fleet } = setup();
    const first = await fleet.launch(request);
    expect((await fleet.launch(request)).instanceId).toBe(first.instanceId);
    expect(ec2.runs).toHaveLength(1);
    ec2.describeLag = 3;
    const lagged = await fleet.launch(await launchOf(5, 'add-5'));
    const again = await fleet.launch(await launchOf(5, 'add-5'));
    expect(again.instanceId).toBe(lagged.instanceId);
    expect(ec2.runs.map((r) => r.ClientToken).slice(1)).toEqual(Array(2).fill(clientToken('zk-autoscaler-prod', 'orders', 'add-5', 'eu-west-1b')));
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
    await expect(fleet.terminate(4)).rejects.toThrow('instance i-stranger: not tagged zk-autoscaler:deployment=zk-autoscaler-prod, zk-autoscaler:cluster=orders, zk-autoscaler:server-id=4; refused');
    expect(ec2.mock.commandCalls(TerminateInstancesCommand)).toHaveLength(1);
  });

  it('reports impaired status checks, and skips instances whose server-id tag is malformed', async () => {
    const { ec2, fleet } = setup();
    const instance = await fleet.launch(request);
    ec2.boot();
    ec2.impaired.add(instance.instanceId);
    const bad = await fleet.launch(await launchOf(5, 'add-5'));
    ec2.boot();
    const badTag = ec2.instances.get(bad.instanceId)?.Tags?.find((t) => t.Key === TAG.serverId);
    if (badTag) badTag.Value = 'four';
    expect((await fleet.list()).map((i) => [i.serverId, i.state, i.zone])).toEqual([[4, 'impaired', 'eu-west-1b']]);
  });

  it('refuses a launch without a launch template or into a zone without a subnet, launching nothing', async () => {
    const { ec2, fleet } = setup();
    const { launchTemplate: _, ...bare } = request;
    await expect(fleet.launch(bare)).rejects.toThrow(InvalidInputError);
    await expect(fleet.launch({ ...request, zones: [{ name: 'eu-west-1b' }] })).rejects.toThrow('zones: zone eu-west-1b has no subnetId');
    expect(ec2.runs).toEqual([]);
  });

  it('keeps two deployments (two stages) in one account apart: neither lists, probes nor terminates the other\'s instances', async () => {
    const ec2 = new FakeEc2({ 'subnet-a': 'eu-west-1a', 'subnet-b': 'eu-west-1b', 'subnet-c': 'eu-west-1c' });
    const prod = watched(ec2, 'zk-autoscaler-prod');
    const dev = watched(ec2, 'zk-autoscaler-dev');
    const prodServer = await prod.fleet.launch(request);
    // The same cluster name, server id and operation in the other stage: another instance, its own token.
    const devServer = await dev.fleet.launch(request);
    ec2.boot();
    expect(devServer.instanceId).not.toBe(prodServer.instanceId);
    expect(new Set(ec2.runs.map((r) => r.ClientToken)).size).toBe(2);
    const deploymentTag = (i: number) => (ec2.runs[i]?.TagSpecifications?.[0]?.Tags ?? []).find((t) => t.Key === TAG.deployment)?.Value;
    expect([deploymentTag(0), deploymentTag(1)]).toEqual(['zk-autoscaler-prod', 'zk-autoscaler-dev']);

    // list() is what the tick probes: each deployment sees only its own instance.
    expect((await prod.fleet.list()).map((i) => i.instanceId)).toEqual([prodServer.instanceId]);
    expect((await dev.fleet.list()).map((i) => i.instanceId)).toEqual([devServer.instanceId]);
    expect(await dev.fleet.bootLog(4)).toBeUndefined(); // no console output yet, and only its own instance is read
    // Every describe names the deployment.
    for (const call of ec2.mock.commandCalls(DescribeInstancesCommand)) {
      expect(call.args[0].input.Filters).toContainEqual({ Name: `tag:${TAG.deployment}`, Values: [expect.stringMatching(/^zk-autoscaler-(prod|dev)$/)] });
    }

    await dev.fleet.terminate(4);
    expect(ec2.instances.get(prodServer.instanceId)?.State?.Name).toBe('running');
    expect(ec2.instances.get(devServer.instanceId)?.State?.Name).toBe('terminated');
    // A retried launch in dev finds its own (terminated) launch, never prod's instance.
    expect((await dev.fleet.launch(request)).instanceId).not.toBe(prodServer.instanceId);
    expect(prod.warnings).toEqual([]);
  });

  it('reports, and never lists or terminates, an instance tagged for this deployment that it did not launch', async () => {
    const ec2 = new FakeEc2({ 'subnet-b': 'eu-west-1b' });
    const { fleet, warnings } = watched(ec2, 'zk-autoscaler-prod');
    const ours = await fleet.launch(request);
    ec2.boot();
    const tags = ec2.instances.get(ours.instanceId)?.Tags ?? [];
    // Someone copies every tag (marker included) onto an instance of their own: its ClientToken cannot be copied.
    ec2.instances.set('i-copycat', { InstanceId: 'i-copycat', PrivateIpAddress: '10.9.9.9', State: { Name: 'running' }, Tags: [...tags] });
    // ...or launches one with a token of its own and tags it the same.
    ec2.instances.set('i-own-token', { InstanceId: 'i-own-token', ClientToken: 'mine', PrivateIpAddress: '10.9.9.8', State: { Name: 'running' }, Tags: [...tags.filter((t) => t.Key !== TAG.launchedBy), { Key: TAG.launchedBy, Value: 'mine' }] });
    expect((await fleet.list()).map((i) => i.instanceId)).toEqual([ours.instanceId]);
    expect(warnings.filter((w) => w.startsWith('i-copycat')).length).toBeGreaterThan(0);
    expect(warnings.filter((w) => w.startsWith('i-own-token')).length).toBeGreaterThan(0);
    await fleet.terminate(4);
    expect(ec2.instances.get('i-copycat')?.State?.Name).toBe('running');
    expect(ec2.instances.get('i-own-token')?.State?.Name).toBe('running');
    expect(ec2.instances.get(ours.instanceId)?.State?.Name).toBe('terminated');
    expect(ec2.mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([[ours.instanceId]]);
  });

  it('reserves free addresses in each zone\'s subnet for servers created together, launches each at its own, and gives a resumed creation the same ones', async () => {
    const { ec2, fleet } = setup();
    const servers = [{ serverId: 1, zone: 'eu-west-1a' }, { serverId: 2, zone: 'eu-west-1b' }, { serverId: 3, zone: 'eu-west-1c' }];
    const { addresses, creation: fresh } = await fleet.reserveAddresses(servers, spec.zones);
    expect(fresh).toBeUndefined();
    expect([...addresses].map(([id, host]) => [id, host.split('.').slice(0, 3).join('.')])).toEqual([[1, '10.0.1'], [2, '10.0.2'], [3, '10.0.3']]);
    for (const host of addresses.values()) expect(Number(host.split('.')[3])).toBeGreaterThanOrEqual(4); // AWS keeps .0-.3
    const members = servers.map((s) => memberAt(spec.zookeeper, s.serverId, addresses.get(s.serverId) ?? '', 'voter'));
    const reservation = { addresses, creation: 'm1.abcd1234' };
    const first = await launchRequest(spec, { fleet, superUser: superUserOf({ read: async () => 'secret' }, 'orders') }, { serverId: 1, role: 'voter', zone: 'eu-west-1a', operationId: 'create-1-m1.abcd1234' }, { kind: 'initial', members }, reservation);
    const instance = await fleet.launch(first);
    expect(instance.host).toBe(addresses.get(1));
    expect(ec2.runs[0]).toMatchObject({ SubnetId: 'subnet-a', PrivateIpAddress: addresses.get(1) });
    const tags = Object.fromEntries((ec2.runs[0]?.TagSpecifications?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags[TAG.reservation]).toBe(['m1.abcd1234', ...[...addresses].map(([id, host]) => `${id}=${host}`)].join(' '));
    ec2.boot();
    // Run again after an interruption: the addresses the first server's files name come back, with the creation's label.
    expect(await fleet.reserveAddresses(servers, spec.zones)).toEqual(reservation);
    // ...but not for another set of servers (the spec's voters changed since).
    await expect(fleet.reserveAddresses(servers.slice(0, 2), spec.zones)).rejects.toThrow('servers: the running servers were created as 1, 2, 3, not 1, 2');
    // A reserved address is in its zone's subnet: no capacity there is no fallback elsewhere.
    ec2.noCapacity.add('subnet-b');
    const second = await launchRequest(spec, { fleet, superUser: superUserOf({ read: async () => 'secret' }, 'orders') }, { serverId: 2, role: 'voter', zone: 'eu-west-1b', operationId: 'create-2-m1.abcd1234' }, { kind: 'initial', members }, reservation);
    await expect(fleet.launch(second)).rejects.toThrow('InsufficientInstanceCapacity');
    expect(ec2.runs.map((r) => r.SubnetId)).toEqual(['subnet-a', 'subnet-b']);
  });

  it('skips an address another interface holds when reserving', async () => {
    const { ec2, fleet } = setup();
    const [first] = await fleet.reserveAddresses([{ serverId: 1, zone: 'eu-west-1a' }], spec.zones).then((r) => [...r.addresses.values()]);
    // Someone else's instance takes that address before this creation launches.
    const { fleet: other } = watched(ec2, 'zk-autoscaler-other');
    await other.launch({ ...(await launchOf(9, 'add-9')), zone: 'eu-west-1a', reservation: { addresses: new Map([[9, first ?? '']]), creation: 'm1.other' } });
    const again = await fleet.reserveAddresses([{ serverId: 1, zone: 'eu-west-1a' }], spec.zones);
    expect(again.addresses.get(1)).not.toBe(first);
  });

  it('adopts running instances found by address: records them, tags them, and lists them from then on; a retagged one is not trusted', async () => {
    const ec2 = new FakeEc2({ 'subnet-a': 'eu-west-1a', 'subnet-b': 'eu-west-1b', 'subnet-c': 'eu-west-1c' });
    let record = new Map<string, number>();
    const fleet = new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-prod', cluster: 'orders', log: quiet, adopted: async () => record, recordAdopted: async (r) => void (record = new Map(r)) });
    // An ensemble someone launched by hand: three instances, no tags of ours.
    const theirs = await Promise.all(
      ['subnet-a', 'subnet-b', 'subnet-c'].map(async (subnet) => {
        const out = await ec2.client.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '7' }, SubnetId: subnet, MinCount: 1, MaxCount: 1 }));
        return { instanceId: out.Instances?.[0]?.InstanceId ?? '', host: out.Instances?.[0]?.PrivateIpAddress ?? '' };
      }),
    );
    ec2.boot();
    const found = await fleet.findByAddress([...theirs.map((i) => i.host), '10.9.9.9'], spec.zones);
    // Only in the spec's subnets: the same address elsewhere is another network's.
    expect(await fleet.findByAddress(theirs.map((i) => i.host), [{ name: 'eu-west-1a', subnetId: 'subnet-a' }])).toEqual(new Map([[theirs[0]?.host, found.get(theirs[0]?.host ?? '')]]));
    expect([...found.keys()]).toEqual(theirs.map((i) => i.host));
    expect(await fleet.list()).toEqual([]);
    await fleet.adopt(theirs.map((i, k) => ({ serverId: k + 1, role: 'voter' as const, instance: found.get(i.host) as NonNullable<ReturnType<typeof found.get>> })));
    expect(Object.fromEntries(record)).toEqual(Object.fromEntries(theirs.map((i, k) => [i.instanceId, k + 1])));
    expect((await fleet.list()).map((i) => [i.serverId, i.instanceId, i.zone])).toEqual(theirs.map((i, k) => [k + 1, i.instanceId, `eu-west-1${'abc'[k]}`]));
    // Someone retags an adopted instance as another server: the record does not say so.
    const tag = ec2.instances.get(theirs[2]?.instanceId ?? '')?.Tags?.find((t) => t.Key === TAG.serverId);
    if (tag) tag.Value = '7';
    expect((await fleet.list()).map((i) => i.serverId)).toEqual([1, 2]);
  });

  it('lists a batch of clusters with one DescribeInstances and one DescribeInstanceStatus, each fleet taking its part once while fresh', async () => {
    const ec2 = new FakeEc2({ 'subnet-a': 'eu-west-1a', 'subnet-b': 'eu-west-1b', 'subnet-c': 'eu-west-1c' });
    let now = 0;
    const listings = new Ec2Listings(ec2.client, { deployment: 'zk-autoscaler-prod', log: quiet, clock: () => now });
    const fleetOf = (cluster: string, shared: boolean): Ec2Fleet => new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-prod', cluster, log: quiet, ...(shared ? { listings } : {}) });
    for (const cluster of ['orders', 'billing']) await fleetOf(cluster, false).launch(await launchOf(4, `add-4-${cluster}`));
    ec2.boot();
    const alone = { orders: await fleetOf('orders', false).list(), billing: await fleetOf('billing', false).list() };
    ec2.mock.resetHistory();

    listings.prepare(['orders', 'billing', 'empty']);
    expect({ orders: await fleetOf('orders', true).list(), billing: await fleetOf('billing', true).list() }).toEqual(alone);
    expect(await fleetOf('empty', true).list()).toEqual([]);
    expect([ec2.mock.commandCalls(DescribeInstancesCommand).length, ec2.mock.commandCalls(DescribeInstanceStatusCommand).length]).toEqual([1, 1]);
    // Taken once: the next list describes for itself; so does one whose listing went stale.
    await fleetOf('orders', true).list();
    listings.prepare(['billing']);
    now += 10_001;
    await fleetOf('billing', true).list();
    expect(ec2.mock.commandCalls(DescribeInstancesCommand).length).toBe(4);
  });

  it('refuses to adopt an instance another deployment or cluster runs', async () => {
    const ec2 = new FakeEc2({ 'subnet-a': 'eu-west-1a', 'subnet-b': 'eu-west-1b', 'subnet-c': 'eu-west-1c' });
    const theirs = await new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-dev', cluster: 'orders', log: quiet }).launch(await launchOf(4, 'add-4'));
    ec2.boot();
    const fleet = new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-prod', cluster: 'orders', log: quiet });
    await expect(fleet.findByAddress([theirs.host], spec.zones)).rejects.toThrow(`instances: ${theirs.instanceId} at ${theirs.host} belongs to zk-autoscaler-dev/orders; refused`);
  });

  it('refuses a deployment id that is not lowercase letters, digits and "-", or longer than 32 characters', () => {
    const ec2 = new FakeEc2();
    for (const deployment of ['', 'Prod', 'zk_prod', 'a'.repeat(33), 'prod\nx']) {
      expect(() => new Ec2Fleet(ec2.client, { deployment, cluster: 'orders', log: quiet }), deployment).toThrow(InvalidInputError);
    }
  });

  it('keeps each deployment\'s clusters under /zk-autoscaler/<deployment> in SSM unless ZK_AUTOSCALER_PREFIX says otherwise', () => {
    expect(EnvSchema.parse({ ZK_AUTOSCALER_DEPLOYMENT: 'zk-autoscaler-prod' }).ZK_AUTOSCALER_PREFIX).toBe('/zk-autoscaler/zk-autoscaler-prod');
    expect(EnvSchema.parse({}).ZK_AUTOSCALER_PREFIX).toBe('/zk-autoscaler/zk-autoscaler-dev');
    expect(EnvSchema.parse({ ZK_AUTOSCALER_DEPLOYMENT: 'zk-autoscaler-prod', ZK_AUTOSCALER_PREFIX: '/zk-autoscaler' }).ZK_AUTOSCALER_PREFIX).toBe('/zk-autoscaler');
    expect(EnvSchema.safeParse({ ZK_AUTOSCALER_DEPLOYMENT: 'Prod' }).success).toBe(false);
  });

  it('keeps client tokens within 64 characters, stable for one operation and zone', () => {
    const deployment = 'zk-autoscaler-production-eu-west';
    const cluster = 'a-very-long-cluster-name-that-goes-on-and-on';
    const long = clientToken(deployment, cluster, 'replace-200', 'eu-central-1a');
    const short = clientToken('dev', 'orders', 'replace-4', 'a');
    for (const token of [long, short]) expect(token).toMatch(/^[!-~]{1,64}$/); // EC2: up to 64 ASCII characters
    expect(clientToken(deployment, cluster, 'replace-200', 'eu-central-1a')).toBe(long);
    // Each input has its own token, hashed or not: a constant, or a hash of only some inputs, fails.
    expect(new Set([
      long,
      clientToken('zk-autoscaler-dev-eu-west-xxxxxxx', cluster, 'replace-200', 'eu-central-1a'),
      clientToken(deployment, `${cluster}-2`, 'replace-200', 'eu-central-1a'),
      clientToken(deployment, cluster, 'replace-201', 'eu-central-1a'),
      clientToken(deployment, cluster, 'replace-200', 'eu-central-1b'),
      short,
      clientToken('dev', 'orders', 'replace-4', 'b'),
    ]).size).toBe(7);
    // Every launch a long-named cluster can make in a day (each id, each zone, one a minute) differs.
    const tokens = new Set<string>();
    for (let id = 1; id <= 254; id++) {
      for (const zone of ['eu-central-1a', 'eu-central-1b', 'eu-central-1c']) tokens.add(clientToken(deployment, cluster, `replace-${id}-${(id * 60_000).toString(36)}`, zone));
    }
    expect(tokens.size).toBe(254 * 3);
  });
});
