import { startAwsDeployment, votersAtRest } from '../support/awsDeployment.js';
import { measureAwsEventPath, type AwsEventPathFigures } from './awsEventPath.js';

// The AWS path on the AWS test world, through the real handlers and SDK clients, each instance a
// real ZooKeeper: the time to create a 3-voter cluster, the SDK calls of a steady tick, and a kill
// of a voter's instance healed tick by tick (ticks every 200 ms, failAfterSeconds 1), with the calls
// of those ticks. One deployment per process: the handlers make their SDK clients once. Then the
// event path, as deployed with the tick queue (awsEventPath.ts, in a process of its own): EC2
// terminating a voter's instance -> the swap committed, with and without a hot spare, and a Spot
// warning -> the swap committed before the deadline.

export interface AwsPathFigures {
  readonly createMs: number;
  readonly steadyTick: Record<string, number>;
  readonly heals: readonly { readonly ms: number; readonly ticks: number; readonly calls: Record<string, number> }[];
  /** Left out when not asked for (the smoke run: test/e2e/awsEvents.test.ts runs the same path). */
  readonly events?: AwsEventPathFigures;
}

export async function measureAwsPath(heals: number, { events = true } = {}): Promise<AwsPathFigures> {
  const queueless = await measureQueueless(heals);
  return events ? { ...queueless, events: await measureAwsEventPath(heals) } : queueless;
}

async function measureQueueless(heals: number): Promise<Omit<AwsPathFigures, 'events'>> {
  const d = await startAwsDeployment();
  try {
    const started = performance.now();
    await d.manual({ action: 'create', cluster: d.cluster });
    await d.tickUntil('3 synced voters', votersAtRest(3), 120_000);
    const createMs = performance.now() - started;
    await d.tick();
    d.clearCalls();
    await d.tick();
    const steadyTick = d.tickCalls();
    const results = [];
    for (let i = 0; i < heals; i++) {
      const status = await d.status();
      const victim = status.members.find((m) => m.role === 'voter' && m.mode === 'follower')?.serverId;
      const instance = [...d.world.ec2.instances.values()].find((x) => x.State?.Name === 'running' && x.Tags?.some((t) => t.Key === 'zk-autoscaler:server-id' && t.Value === String(victim)));
      if (!instance?.InstanceId) throw new Error(`no running instance of voter ${victim}`);
      d.clearCalls();
      const killedAt = performance.now();
      await d.world.killJvm(instance.InstanceId);
      const steps: string[] = [];
      await d.tickUntil(`voter ${victim} replaced`, (s) => votersAtRest(3)(s) && !s.members.some((m) => m.serverId === victim), 120_000, steps);
      results.push({ ms: performance.now() - killedAt, ticks: steps.length, calls: d.tickCalls() });
    }
    return { createMs, steadyTick, heals: results };
  } finally {
    await d.close();
  }
}
