import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import type { Deps } from '../../lib/controller/index.js';
import { handleTickMessages } from '../../lib/controller/triggers.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';

// A queue message whose tick launched a member's replacement, or waits on it, looks again every few
// seconds (bounded) instead of leaving the swap to the next minute's tick: on EC2 that is up to a
// minute of a voter missing for nothing. Only a batch of one cluster does, after its last message.

const record = (messageId: string, cluster: string) => ({ messageId, eventSource: 'aws:sqs', body: JSON.stringify({ cluster, trigger: { kind: 'schedule' }, at: '2026-12-01T10:00:00Z' }), attributes: { MessageGroupId: cluster } });
const event = { Records: [record('m1', 'orders')] };

/** Clusters of 3 voters, each with voter 2's instance stopped (or, with `spare`, whole and asking
 * for a hot spare); the models' clock moves one step per tick of theirs, and a new server answers 2
 * steps after its launch and is synced 1 step later (unless it never boots). */
async function clusters(names: readonly string[], { boots = 'boots', spare = false }: { boots?: 'boots' | 'never'; spare?: boolean } = {}): Promise<{ deps: Deps; steps: string[] }> {
  const store = new MemoryStateStore();
  const models = new Map<string, ModelEnsemble>();
  for (const name of names) {
    const spec = ClusterSpecSchema.parse({ cluster: name, zones: [{ name: 'a' }], hotSpares: spare ? 1 : 0 });
    await store.writeSpec(name, spec);
    const model = new ModelEnsemble(spec, [1, 2, 3], { launchTicks: 2, syncTicks: 1, boots: () => boots });
    if (!spare) model.fail(2, 'stopped');
    models.set(name, model);
  }
  const steps: string[] = [];
  const deps = modelDeps(store, models);
  return {
    steps,
    deps: {
      ...deps,
      portsFor: async (cluster, s) => {
        const model = models.get(cluster) as ModelEnsemble;
        model.tick++;
        return deps.portsFor(cluster, s);
      },
      recorder: (r) => void steps.push(`${r.cluster}:${r.step.kind}`),
    },
  };
}
const wantingAnObserver = (boots: 'boots' | 'never' = 'boots') => clusters(['orders'], { boots });

describe('follow-up ticks while a new server is on its way', () => {
  it('ticks the message again until the joiner is synced and swapped in, within the one message', async () => {
    const { deps, steps } = await wantingAnObserver();
    const [outcome] = await handleTickMessages(deps, event, { deadlineMs: 30_000, followUp: { everyMs: 1, forMs: 10_000 } });
    expect(steps).toEqual(['orders:launch', 'orders:wait', 'orders:wait', 'orders:reconfig']);
    expect(outcome?.result?.step?.kind).toBe('reconfig');
    expect(outcome?.failure).toBeUndefined();
  });

  it('ticks once without follow-ups (the next minute\'s tick goes on)', async () => {
    const { deps, steps } = await wantingAnObserver();
    await handleTickMessages(deps, event, { deadlineMs: 30_000 });
    expect(steps).toEqual(['orders:launch']);
  });

  it('stops following a joiner that never boots after forMs, and never past the deadline', async () => {
    const { deps, steps } = await wantingAnObserver('never');
    const started = Date.now();
    await handleTickMessages(deps, event, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 200 } });
    expect(steps[0]).toBe('orders:launch');
    expect(steps.length).toBeGreaterThan(2);
    expect(steps.length).toBeLessThanOrEqual(1 + 200 / 20);
    expect(Date.now() - started).toBeLessThan(2_000);

    const late = await wantingAnObserver('never');
    // 10 s of deadline is all the room a tick is left: no follow-up starts.
    await handleTickMessages(late.deps, event, { deadlineMs: 10_000, followUp: { everyMs: 20, forMs: 5_000 } });
    expect(late.steps).toEqual(['orders:launch']);
  });

  it('does not follow up in a batch of several clusters: the batch answers, and every group moves on', async () => {
    const { deps, steps } = await clusters(['orders', 'billing']);
    await handleTickMessages(deps, { Records: [record('m1', 'orders'), record('m2', 'billing')] }, { deadlineMs: 30_000, followUp: { everyMs: 1, forMs: 10_000 } });
    expect(steps.sort()).toEqual(['billing:launch', 'orders:launch']);
  });

  it('follows up after the last message of the cluster only', async () => {
    const { deps, steps } = await clusters(['orders']);
    await handleTickMessages(deps, { Records: [record('m1', 'orders'), record('m2', 'orders')] }, { deadlineMs: 30_000, followUp: { everyMs: 1, forMs: 10_000 } });
    // The first message ticks once (a follow-up there would have gone on to the swap and the stop).
    expect(steps).toEqual(['orders:launch', 'orders:wait', 'orders:wait', 'orders:reconfig']);
  });

  it('leaves a spare launched in the background to the schedule (no member is missing)', async () => {
    const { deps, steps } = await clusters(['orders'], { spare: true });
    await handleTickMessages(deps, event, { deadlineMs: 30_000, followUp: { everyMs: 1, forMs: 10_000 } });
    expect(steps).toEqual(['orders:launch']);
  });
});
