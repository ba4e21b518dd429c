import type { TickMessage } from '../../lib/config/events.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StatusView } from '../../lib/controller/index.js';
import { FOLLOW_UP } from '../../lib/controller/triggers.js';
import { startAwsDeployment, votersAtRest, ZONES, type AwsDeployment } from '../support/awsDeployment.js';
import { spotNotice, terminateFollower, type HealSeen } from '../support/awsEventPath.js';
import { missingWrites, startWriter } from '../support/writer.js';

// EC2's own events on the AWS path as deployed (real handlers, real SDK clients, the test world,
// real ZooKeeper JVMs as instances), WITH the tick queue: EC2's events reach the tick function
// through EventBridge's rules, which queues the cluster's tick on the FIFO queue; Lambda's event
// source mapping delivers it back to the function, whose tick follows up every 5 s while a
// replacement is on its way. Nothing drives ticks between EC2 acting and the committed swap: what
// each tick decided is read from the function's log. (Before and after, the schedule is driven
// faster than once a minute, through the same fan-out and queue, to reach a state at rest.)

let d: AwsDeployment;

beforeAll(async () => {
  d = await startAwsDeployment({ dir: inject('testRoot'), spec: { hotSpares: 1 }, queue: true });
  await d.manual({ action: 'create', cluster: d.cluster });
}, 60_000);

afterAll(async () => {
  await d?.close();
});

const stateOf = (instanceId: string): string | undefined => d.world.ec2.instances.get(instanceId)?.State?.Name;
const spreadAtRest = (spares: number) => (s: StatusView) =>
  votersAtRest(3)(s) && s.spares.synced === spares && s.spares.count === spares && s.members.filter((m) => m.role === 'voter').map((m) => m.zone).sort().join() === ZONES.join();
const voters = (s: StatusView): number[] => s.members.filter((m) => m.role === 'voter').map((m) => m.serverId).sort((a, b) => a - b);
const setSpares = async (hotSpares: number): Promise<void> => {
  const { spec } = ((await d.manual({ action: 'spec-show', cluster: d.cluster })) as { data: { spec: Record<string, unknown> } }).data;
  await d.manual({ action: 'spec-set', cluster: d.cluster, spec: { ...spec, hotSpares } });
};
const connectString = async (): Promise<string> => ((await d.manual({ action: 'connect-string', cluster: d.cluster })) as { data: { clients: string } }).data.clients;
const steps = (seen: HealSeen): string[] => seen.decisions.map((x) => x.step);
/** The invocations of the mapping that ran ticks of the cluster between two times. */
const invocationsBetween = (from: number, to: number) => (d.mapping?.invocations ?? []).filter((i) => i.startedAt >= from && i.startedAt <= to && i.records.some((r) => r.attributes.MessageGroupId === d.cluster));

describe('EC2 events on the AWS path through the tick queue (test world)', () => {
  it('heals a voter whose instance EC2 terminated in the first tick its event queues: one reconfig swaps the hot spare in, no launch first', async () => {
    const ready = await d.tickUntil('3 voters spread over the zones and a synced spare', spreadAtRest(1), 90_000);
    await d.settled(30_000);
    const spare = ready.members.find((m) => m.role === 'spare')?.serverId as number;
    const seen = await terminateFollower(d, ready, 60_000);
    expect(steps(seen)).toEqual(['reconfig']);
    expect(seen.decisions[0]?.why).toMatch(new RegExp(`^replace voter ${seen.victim}: instance ${seen.instanceId} is (stopping|terminated): swap in hot spare ${spare} \\(eu-west-1[abc]\\): add voter ${spare}, remove ${seen.victim}`));
    // The tick came from the queue: the mapping delivered the event's message (none was driven).
    expect(invocationsBetween(seen.startedAt, seen.committedAt).length).toBeGreaterThanOrEqual(1);
    expect(voters(await d.status())).toEqual([...[1, 2, 3].filter((id) => id !== seen.victim), spare].sort((a, b) => a - b));

    // The spare is launched again; spread comes back (a spare from another zone crowds one: repaired).
    const rest = await d.tickUntil('at rest with a new synced spare', spreadAtRest(1), 90_000);
    expect(rest.members.find((m) => m.role === 'spare')?.serverId).not.toBe(spare);
  }, 150_000);

  it('heals a voter whose instance EC2 terminated without a spare: the event\'s tick launches the successor at once, follow-up ticks carry it to the one swap', async () => {
    await setSpares(0);
    const before = await d.tickUntil('no spare, at rest', spreadAtRest(0), 60_000);
    // The spare's own termination queued ticks of its own: EC2 acts on a quiet deployment.
    await d.settled(30_000);
    const seen = await terminateFollower(d, before, 90_000);
    const [first, ...rest] = seen.decisions;
    // No missed-probe wait: the first tick after the event launches, naming the instance gone.
    expect(first?.step, JSON.stringify(seen.decisions)).toBe('launch');
    expect(first?.why).toMatch(new RegExp(`^replace voter ${seen.victim}: instance ${seen.instanceId} is (stopping|terminated): launch server \\d+ in eu-west-1[abc]`));
    // Then only waits on the joiner, and one swap: each tick a follow-up message of the cluster's,
    // due on the FOLLOW_UP.everyMs grid (seconds apart), not the schedule (a minute apart).
    expect(rest.at(-1)?.step).toBe('reconfig');
    expect(rest.slice(0, -1).every((x) => x.step === 'wait')).toBe(true);
    const runs = invocationsBetween(seen.startedAt, seen.committedAt);
    const kinds = runs.flatMap((i) => i.records.filter((r) => r.attributes.MessageGroupId === d.cluster).map((r) => (JSON.parse(r.body) as TickMessage).trigger.kind));
    // (EC2's two events, shutting-down then terminated, each tick too.)
    expect(kinds.length, JSON.stringify(kinds)).toBeGreaterThanOrEqual(seen.decisions.length);
    expect(kinds).toContain('follow-up');
    expect(kinds.filter((k) => k !== 'instance' && k !== 'follow-up')).toEqual([]);
    const swapGap = (seen.decisions.at(-1)?.at ?? 0) - (seen.decisions.at(-2)?.at ?? 0);
    expect(swapGap).toBeGreaterThanOrEqual(FOLLOW_UP.everyMs / 2 - 100);
    expect(swapGap).toBeLessThan(FOLLOW_UP.everyMs + 20_000);
    const swapped = await d.status();
    expect(swapped.members.some((m) => m.serverId === seen.victim && m.role === 'voter')).toBe(false);
    expect(swapped.voters.count).toBe(3);
    console.info(`terminated, no spare, through the queue: swap committed ${seen.committedAt - seen.startedAt} ms after EC2 acted, ${seen.decisions.length} ticks (${JSON.stringify(steps(seen))}), ${runs.length} deliveries`);
    await d.tickUntil('3 synced voters, spread', spreadAtRest(0), 60_000);
  }, 150_000);

  it('gets a voter with a Spot interruption warning a synced successor and one swap before EC2 takes the instance at the deadline, losing no acknowledged write', async () => {
    const before = await d.tickUntil('no spare, at rest', spreadAtRest(0), 60_000);
    await d.settled(30_000);
    const writer = await startWriter(await connectString(), { ratePerSecond: 50 });
    try {
      // Dated so that its two minutes end 40 s from now: the world then takes the instance itself.
      const seen = await spotNotice(d, before, 40_000, 40_000);
      const takenAt = await seen.taken;
      expect(['shutting-down', 'terminated']).toContain(stateOf(seen.instanceId));
      // The successor was launched at once, synced, and swapped in with ONE reconfig before then.
      expect(seen.committedAt).toBeLessThan(takenAt);
      expect(seen.decisions[0]?.step).toBe('launch');
      expect(seen.decisions[0]?.why).toMatch(new RegExp(`^replace voter ${seen.victim}: spot interruption \\(terminate\\) by ${seen.deadlineIso.replace(/[.]/g, '\\.')}.*: launch server \\d+ in eu-west-1[abc]`));
      expect(steps(seen).filter((k) => k === 'reconfig')).toEqual(['reconfig']);
      expect(steps(seen).filter((k) => k === 'launch')).toEqual(['launch']);
      const after = d.decisions().filter((x) => x.cluster === d.cluster && x.at > seen.committedAt && x.at <= takenAt);
      expect(after.filter((x) => x.step === 'reconfig' || x.step === 'launch')).toEqual([]);
      console.info(`Spot notice through the queue: swap committed ${seen.committedAt - seen.startedAt} ms after the warning, ${seen.deadline - seen.committedAt} ms before the deadline (${JSON.stringify(steps(seen))})`);
      await writer.acknowledgesMore(20, 20_000);
      // EC2's own events about the instance it took change nothing the controller has not done.
      await d.tickUntil('3 synced voters, spread', spreadAtRest(0), 60_000);
    } finally {
      const report = await writer.stop();
      console.info(`writer through a Spot interruption on the AWS path: ${report.acknowledged.length} acknowledged, failures ${JSON.stringify(report.failures)}, longest gap ${report.longestGapMs} ms`);
      expect(report.acknowledged.length).toBeGreaterThan(0);
      expect(await missingWrites(await connectString(), report.acknowledged)).toEqual([]);
    }
  }, 150_000);
});
