import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StatusView } from '../../lib/controller/index.js';
import { startAwsDeployment, votersAtRest, ZONES, type AwsDeployment, type TickOutcome } from '../support/awsDeployment.js';
import { missingWrites, startWriter } from '../support/writer.js';

// EC2's own events on the AWS path (real handlers, real SDK clients, the test world, real ZooKeeper
// JVMs as instances): a voter's instance terminated by EC2 is healed by the very tick its event
// wakes, one reconfig swapping the hot spare in, with no missed-probe wait; a Spot interruption
// warning gets its voter a synced successor and one swap while the instance still runs.

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const sample = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as Record<string, unknown>;
const eventAbout = (file: string, instanceId: string, detail: Record<string, unknown>): Record<string, unknown> => {
  const event = sample(file);
  return { ...event, resources: [`arn:aws:ec2:eu-west-1:123456789012:instance/${instanceId}`], detail: { ...(event.detail as object), 'instance-id': instanceId, ...detail } };
};

let d: AwsDeployment;

beforeAll(async () => {
  d = await startAwsDeployment({ dir: inject('testRoot'), spec: { hotSpares: 1 } });
  await d.manual({ action: 'create', cluster: d.cluster });
}, 60_000);

afterAll(async () => {
  await d?.close();
});

const instanceOf = (serverId: number): string => {
  const found = [...d.world.ec2.instances.values()].find((i) => i.State?.Name === 'running' && i.Tags?.some((t) => t.Key === 'zk-autoscaler:server-id' && t.Value === String(serverId)));
  if (!found?.InstanceId) throw new Error(`no running instance of server ${serverId}`);
  return found.InstanceId;
};
const stateOf = (instanceId: string): string | undefined => d.world.ec2.instances.get(instanceId)?.State?.Name;
const spreadAtRest = (spares: number) => (s: StatusView) =>
  votersAtRest(3)(s) && s.spares.synced === spares && s.spares.count === spares && s.members.filter((m) => m.role === 'voter').map((m) => m.zone).sort().join() === ZONES.join();
const ofCluster = (results: TickOutcome[]): TickOutcome => {
  const r = results.find((x) => x.cluster === d.cluster);
  if (!r) throw new Error(`the event woke no tick of ${d.cluster}: ${JSON.stringify(results)}`);
  return r;
};

describe('EC2 events on the AWS path (test world)', () => {
  it('heals a voter whose instance EC2 terminated in the tick its event wakes: one reconfig swaps the hot spare in', async () => {
    const ready = await d.tickUntil('3 voters spread over the zones and a synced spare', spreadAtRest(1), 90_000);
    const spare = ready.members.find((m) => m.role === 'spare')?.serverId as number;
    const victim = ready.members.find((m) => m.role === 'voter' && m.mode === 'follower')?.serverId as number;
    const instanceId = instanceOf(victim);
    d.clearCalls();
    await new EC2Client(d.world.clientConfig).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const woken = ofCluster(await d.wake(eventAbout('ec2-instance-terminated.json', instanceId, { state: 'shutting-down' })));
    expect([woken.outcome, woken.step]).toEqual(['acted', 'reconfig']);
    expect(woken.why).toMatch(new RegExp(`^replace voter ${victim}: instance ${instanceId} is (stopping|terminated): swap in hot spare ${spare} \\(eu-west-1[abc]\\): add voter ${spare}, remove ${victim}`));
    expect(d.tickCalls()['ec2:RunInstances']).toBeUndefined();
    const swapped = await d.status();
    expect(swapped.members.filter((m) => m.role === 'voter').map((m) => m.serverId).sort()).toEqual([...[1, 2, 3].filter((id) => id !== victim), spare].sort());

    // The spare is launched again; spread comes back (a spare from another zone crowds one: repaired).
    const rest = await d.tickUntil('at rest with a new synced spare', spreadAtRest(1), 90_000);
    expect(rest.members.find((m) => m.role === 'spare')?.serverId).not.toBe(spare);
  }, 150_000);

  it('gets a voter with a Spot interruption warning a synced successor and one swap while its instance still runs, losing no acknowledged write', async () => {
    const { spec } = ((await d.manual({ action: 'spec-show', cluster: d.cluster })) as { data: { spec: Record<string, unknown> } }).data;
    await d.manual({ action: 'spec-set', cluster: d.cluster, spec: { ...spec, hotSpares: 0 } });
    const before = await d.tickUntil('no spare, at rest', spreadAtRest(0), 60_000);
    const connect = ((await d.manual({ action: 'connect-string', cluster: d.cluster })) as { data: { clients: string } }).data.clients;
    const writer = await startWriter(connect, { ratePerSecond: 50 });
    try {
      const victim = before.members.find((m) => m.role === 'voter' && m.mode === 'follower')?.serverId as number;
      const instanceId = instanceOf(victim);
      d.clearCalls();
      const woken = ofCluster(await d.wake(eventAbout('ec2-spot-interruption.json', instanceId, { 'instance-action': 'terminate' })));
      expect([woken.outcome, woken.step]).toEqual(['acted', 'launch']);
      expect(woken.why).toMatch(new RegExp(`^replace voter ${victim}: spot interruption \\(terminate\\) by 2026-12-01T10:02:00Z: launch server \\d+ in eu-west-1[abc] to swap in$`));
      const steps: string[] = [];
      await d.tickUntil(`server ${victim} swapped out`, (s) => !s.members.some((m) => m.serverId === victim && m.role === 'voter'), 90_000, steps);
      // EC2 has not acted yet (it gives two minutes): the successor was synced and swapped in first.
      expect(stateOf(instanceId)).toBe('running');
      expect(steps.filter((k) => k === 'reconfig')).toHaveLength(1);
      expect(d.tickCalls()['ec2:RunInstances']).toBe(1);
      // Then EC2 takes the instance; its event changes nothing the controller has not done.
      await new EC2Client(d.world.clientConfig).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      ofCluster(await d.wake(eventAbout('ec2-instance-terminated.json', instanceId, { state: 'terminated' })));
      await d.tickUntil('3 synced voters, spread', spreadAtRest(0), 60_000);
    } finally {
      const report = await writer.stop();
      console.info(`writer through a Spot interruption on the AWS path: ${report.acknowledged.length} acknowledged, failures ${JSON.stringify(report.failures)}, longest gap ${report.longestGapMs} ms`);
      const connect = ((await d.manual({ action: 'connect-string', cluster: d.cluster })) as { data: { clients: string } }).data.clients;
      expect(report.acknowledged.length).toBeGreaterThan(0);
      expect(await missingWrites(connect, report.acknowledged)).toEqual([]);
    }
  }, 180_000);
});
