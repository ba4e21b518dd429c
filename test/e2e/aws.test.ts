import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jsonLog } from '../../lib/adapters/local/index.js';
import { EnvSchema } from '../../lib/config/index.js';
import { createStep } from '../../lib/controller/index.js';
import { awsClients, buildAwsDeps } from '../../lib/wiring/index.js';
import { startAwsDeployment, votersAtRest, ZONES, type AwsDeployment } from '../support/awsDeployment.js';
import { killedAfterFirstLaunch } from '../support/doubles.js';
import { missingWrites, startWriter } from '../support/writer.js';

// The AWS path end to end: the real `tick` and `manual` handlers, the real SDK clients over AWS's
// own protocols to the test world (test/support/awsWorld), and each EC2 instance a real ZooKeeper
// booted from its real user data. A cluster is created from nothing, a killed instance is healed,
// the ensemble goes 3 -> 5 -> 3 under a writer, two invocations run at once, and the SDK calls of a
// steady tick and of a heal are counted (npm run bench measures them: test/bench/awsPath.ts).

let d: AwsDeployment;

beforeAll(async () => {
  d = await startAwsDeployment({ dir: inject('testRoot') });
}, 60_000);

afterAll(async () => {
  await d?.close();
});

const connectString = async (): Promise<string> => ((await d.manual({ action: 'connect-string', cluster: d.cluster })) as { data: { clients: string } }).data.clients;

describe('the AWS path on real ZooKeeper (test world)', () => {
  it('creates a 3-voter cluster from nothing through the functions; a creation interrupted after its first launch finishes with exactly 3 instances; create again refuses', async () => {
    // The first run stops after its first launch (the process running it dies).
    const stopped = killedAfterFirstLaunch(buildAwsDeps(EnvSchema.parse(process.env), awsClients(), jsonLog(() => undefined)));
    expect((await createStep(stopped, d.cluster)).outcome).toBe('starting');
    expect(d.liveInstances()).toHaveLength(1);

    // The operator asks the manual function; the tick finishes the creation.
    expect(await d.manual({ action: 'create', cluster: d.cluster })).toMatchObject({ message: 'creation of orders requested: the next tick launches its 3 voters; status shows them joining' });
    const created = await d.tickUntil('3 synced voters', votersAtRest(3), 90_000);
    expect(created.members.map((m) => [m.serverId, m.role, m.zone])).toEqual(ZONES.map((zone, i) => [i + 1, 'voter', zone]));
    expect(d.liveInstances()).toHaveLength(3);
    // Status can see the quorum before a tick has recorded it: the next tick does (its create step).
    await d.tick();
    await expect(d.manual({ action: 'create', cluster: d.cluster })).rejects.toThrow('cluster: orders was created before');
    expect(d.liveInstances()).toHaveLength(3);
  }, 120_000);

  it('ticks a steady cluster with no write, and lets one of two invocations at once act', async () => {
    await d.tick();
    d.clearCalls();
    expect((await d.tick()).outcome).toBe('steady');
    const calls = d.tickCalls();
    console.info(`SDK calls of a steady tick: ${JSON.stringify(calls)}`);
    expect(calls['ssm:PutParameter']).toBeUndefined();
    expect(calls['ec2:RunInstances']).toBeUndefined();

    // Two invocations at once while there is something to do (an observer asked for): one acts.
    await d.manual({ action: 'scale', cluster: d.cluster, observers: 1 });
    const outcomes = (await Promise.all([d.tick(), d.tick()])).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['acted', 'lease-held']);
    expect(d.liveInstances()).toHaveLength(4);
    await d.tickUntil('the observer joined', (s) => s.observers.count === 1 && s.operation === undefined, 60_000);
    await d.manual({ action: 'scale', cluster: d.cluster, observers: 0 });
    await d.tickUntil('no observer', (s) => s.observers.count === 0 && s.operation === undefined, 60_000);
  }, 150_000);

  it('heals a voter whose instance was killed, one launch and one terminate, spread kept', async () => {
    const before = await d.status();
    const victim = before.members.find((m) => m.role === 'voter' && m.mode === 'follower')?.serverId;
    const instanceId = [...d.world.ec2.instances.values()].find((i) => i.State?.Name === 'running' && i.Tags?.some((t) => t.Key === 'zk-autoscaler:server-id' && t.Value === String(victim)))?.InstanceId;
    expect(instanceId).toBeDefined();
    d.clearCalls();
    const killedAt = performance.now();
    await d.world.killJvm(instanceId ?? '');
    const steps: string[] = [];
    const healed = await d.tickUntil('3 synced voters without the victim', (s) => votersAtRest(3)(s) && !s.members.some((m) => m.serverId === victim), 90_000, steps);
    const heal = d.tickCalls();
    console.info(`heal of a killed voter through the tick function: ${Math.round(performance.now() - killedAt)} ms, ${steps.length} ticks (${steps.filter((k) => k !== 'none').join(', ')}); SDK calls of those ticks ${JSON.stringify(heal)}`);
    expect(healed.members.filter((m) => m.role === 'voter').map((m) => m.zone).sort()).toEqual([...ZONES]);
    expect(heal['ec2:RunInstances']).toBe(1);
    expect(heal['ec2:TerminateInstances']).toBe(1);
  }, 120_000);

  it('goes 3 -> 5 -> 3 voters under a writer, losing no acknowledged write', async () => {
    const writer = await startWriter(await connectString(), { ratePerSecond: 50 });
    try {
      await d.manual({ action: 'scale', cluster: d.cluster, voters: 5 });
      await d.tickUntil('5 synced voters', votersAtRest(5), 120_000);
      await d.manual({ action: 'scale', cluster: d.cluster, voters: 3 });
      await d.tickUntil('3 synced voters', votersAtRest(3), 120_000);
    } finally {
      const report = await writer.stop();
      console.info(`writer during 3 -> 5 -> 3 on the AWS path: ${report.acknowledged.length} acknowledged, failures ${JSON.stringify(report.failures)}, longest gap ${report.longestGapMs} ms`);
      expect(await missingWrites(await connectString(), report.acknowledged)).toEqual([]);
      expect(report.acknowledged.length).toBeGreaterThan(0);
    }
    expect(d.liveInstances()).toHaveLength(3);
  }, 300_000);
});
