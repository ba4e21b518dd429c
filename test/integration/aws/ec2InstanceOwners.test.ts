import { describe, expect, it } from 'vitest';
import { Ec2Fleet, TAG } from '../../../lib/adapters/aws/ec2Fleet.js';
import { Ec2InstanceOwners } from '../../../lib/adapters/aws/ec2InstanceOwners.js';
import { RateBudgets } from '../../../lib/adapters/aws/rateBudget.js';
import { jsonLog } from '../../../lib/adapters/local/index.js';
import { ClusterSpecSchema } from '../../../lib/config/index.js';
import { launchRequest } from '../../../lib/controller/index.js';
import { memberAt, type ServerId } from '../../../lib/core/index.js';
import { superUserOf } from '../../../lib/wiring/local.js';
import { FakeEc2 } from '../../support/fakeEc2.js';

// Which cluster an EC2 or Health event's instance belongs to, at the SDK command level: this
// deployment's tags on an instance it launched (or one its cluster adopted), nothing else; one
// DescribeInstances per event, drawn from the same rate budget as the ticks.

const DEPLOYMENT = 'zk-autoscaler-prod';
const spec = ClusterSpecSchema.parse({ cluster: 'orders', launchTemplate: { id: 'lt-0abc', version: '7' }, zones: [{ name: 'eu-west-1b', subnetId: 'subnet-b' }] });
const committed = [1, 2, 3].map((id) => memberAt(spec.zookeeper, id, `10.0.1.${id}`, 'voter'));

function world(adopted: Record<string, Map<string, ServerId>> = {}, budgets?: RateBudgets) {
  const ec2 = new FakeEc2({ 'subnet-b': 'eu-west-1b' });
  const fleet = new Ec2Fleet(ec2.client, { deployment: DEPLOYMENT, cluster: 'orders', log: jsonLog(() => undefined) });
  const warnings: string[] = [];
  const log = jsonLog((line) => {
    const entry = JSON.parse(line) as { level: string; message: string };
    if (entry.level === 'warn') warnings.push(entry.message);
  });
  const owners = new Ec2InstanceOwners(ec2.client, { deployment: DEPLOYMENT, log, adopted: async (cluster) => adopted[cluster] ?? new Map(), ...(budgets ? { budgets } : {}) });
  const launch = async (serverId: ServerId): Promise<string> => {
    const request = await launchRequest(spec, { fleet, superUser: superUserOf({ read: async () => 'secret' }, 'orders') }, { serverId, role: 'voter', zone: 'eu-west-1b', operationId: `add-${serverId}` }, { kind: 'join', committed });
    const { instanceId } = await fleet.launch(request);
    ec2.boot();
    return instanceId;
  };
  return { ec2, owners, warnings, launch };
}

describe('Ec2InstanceOwners', () => {
  it('names the cluster and server of an instance this deployment launched, including a terminated one; unknown ids are left out', async () => {
    const { ec2, owners, launch } = world();
    const four = await launch(4);
    const five = await launch(5);
    ec2.instances.set(five, { ...ec2.instances.get(five), State: { Name: 'terminated' } });
    expect(Object.fromEntries(await owners.ownersOf([four, five, 'i-0fffffff']))).toEqual({ [four]: { cluster: 'orders', serverId: 4 }, [five]: { cluster: 'orders', serverId: 5 } });
  });

  it('ignores, with a warning, an instance carrying our tags that it did not launch, unless its cluster adopted it as that server', async () => {
    const { ec2, owners, warnings, launch } = world();
    const ours = await launch(4);
    const tags = ec2.instances.get(ours)?.Tags ?? [];
    ec2.instances.set('i-0c0c0c0c', { InstanceId: 'i-0c0c0c0c', ClientToken: 'theirs', State: { Name: 'running' }, Tags: tags.map((t) => (t.Key === TAG.serverId ? { ...t, Value: '9' } : t)) });
    expect(await owners.ownersOf(['i-0c0c0c0c'])).toEqual(new Map());
    expect(warnings).toEqual([`instance i-0c0c0c0c is tagged for ${DEPLOYMENT}/orders but was not launched by it (its launch token is not its ${TAG.launchedBy} tag): ignored`]);
    // Adopted as server 9: it is. Adopted as another server than its tag says: it is not.
    const adopted = world({ orders: new Map([['i-0c0c0c0c', 9]]) });
    adopted.ec2.instances.set('i-0c0c0c0c', ec2.instances.get('i-0c0c0c0c') ?? {});
    expect(Object.fromEntries(await adopted.owners.ownersOf(['i-0c0c0c0c']))).toEqual({ 'i-0c0c0c0c': { cluster: 'orders', serverId: 9 } });
    const retagged = world({ orders: new Map([['i-0c0c0c0c', 8]]) });
    retagged.ec2.instances.set('i-0c0c0c0c', ec2.instances.get('i-0c0c0c0c') ?? {});
    expect(await retagged.owners.ownersOf(['i-0c0c0c0c'])).toEqual(new Map());
  });

  it('ignores, with a warning, an instance of ours whose cluster or server-id tag is malformed, and one of another deployment silently', async () => {
    const { ec2, owners, warnings, launch } = world();
    const four = await launch(4);
    const five = await launch(5);
    const retag = (id: string, key: string, value: string) => ec2.instances.set(id, { ...ec2.instances.get(id), Tags: (ec2.instances.get(id)?.Tags ?? []).map((t) => (t.Key === key ? { ...t, Value: value } : t)) });
    retag(four, TAG.serverId, 'four');
    retag(five, TAG.deployment, 'zk-autoscaler-staging');
    expect(await owners.ownersOf([four, five])).toEqual(new Map());
    expect(warnings).toEqual([`instance ${four} carries ${TAG.deployment}=${DEPLOYMENT} but malformed cluster or server-id tags: ignored`]);
  });

  it('takes its DescribeInstances from the rate budget the ticks share: a burst of events waits its turn', async () => {
    let now = 0;
    const waits: number[] = [];
    const budgets = new RateBudgets({ ssmReadsPerSecond: 40, ssmWritesPerSecond: 3, ec2DescribesPerSecond: 2, ec2DescribeBurst: 1, share: 1, containers: 1 }, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    const { owners, launch } = world({}, budgets);
    const four = await launch(4);
    for (let i = 0; i < 3; i++) await owners.ownersOf([four]);
    // One token at once, then one every 500 ms.
    expect(waits.reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
