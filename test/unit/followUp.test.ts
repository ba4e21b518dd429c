import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import type { Deps } from '../../lib/controller/index.js';
import { handleTickMessages } from '../../lib/controller/triggers.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';

// A queue message whose tick launched a server, or waits on one, looks again every few seconds
// (bounded) instead of leaving the swap to the next minute's tick: on EC2 that is up to a minute of
// a voter missing for nothing.

const message = { cluster: 'orders', trigger: { kind: 'schedule' }, at: '2026-12-01T10:00:00Z' };
const event = { Records: [{ messageId: 'm1', eventSource: 'aws:sqs', body: JSON.stringify(message), attributes: { MessageGroupId: 'orders' } }] };

/** A cluster of 3 voters that wants an observer; the model's clock moves one step per tick, and a
 * new server answers 2 steps after its launch and is synced 1 step later (unless it never boots). */
async function wantingAnObserver(boots: 'boots' | 'never' = 'boots'): Promise<{ deps: Deps; steps: string[] }> {
  const store = new MemoryStateStore();
  const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a' }], observers: { desired: 1 } });
  await store.writeSpec('orders', spec);
  const model = new ModelEnsemble(spec, [1, 2, 3], { launchTicks: 2, syncTicks: 1, boots: () => boots });
  const steps: string[] = [];
  const deps = modelDeps(store, new Map([['orders', model]]));
  return {
    steps,
    deps: {
      ...deps,
      portsFor: async (cluster, s) => {
        model.tick++;
        return deps.portsFor(cluster, s);
      },
      recorder: (r) => void steps.push(r.step.kind),
    },
  };
}

describe('follow-up ticks while a new server is on its way', () => {
  it('ticks the message again until the joiner is synced and swapped in, within the one message', async () => {
    const { deps, steps } = await wantingAnObserver();
    const [outcome] = await handleTickMessages(deps, event, { deadlineMs: 30_000, followUp: { everyMs: 1, forMs: 10_000 } });
    expect(steps).toEqual(['launch', 'wait', 'wait', 'reconfig']);
    expect(outcome?.result?.step?.kind).toBe('reconfig');
    expect(outcome?.failure).toBeUndefined();
  });

  it('ticks once without follow-ups (the next minute\'s tick goes on)', async () => {
    const { deps, steps } = await wantingAnObserver();
    await handleTickMessages(deps, event, { deadlineMs: 30_000 });
    expect(steps).toEqual(['launch']);
  });

  it('stops following a joiner that never boots after forMs, and never past the deadline', async () => {
    const { deps, steps } = await wantingAnObserver('never');
    const started = Date.now();
    await handleTickMessages(deps, event, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 200 } });
    expect(steps[0]).toBe('launch');
    expect(steps.length).toBeGreaterThan(2);
    expect(steps.length).toBeLessThanOrEqual(1 + 200 / 20);
    expect(Date.now() - started).toBeLessThan(2_000);

    const late = await wantingAnObserver('never');
    // 10 s of deadline is all the room a tick is left: no follow-up starts.
    await handleTickMessages(late.deps, event, { deadlineMs: 10_000, followUp: { everyMs: 20, forMs: 5_000 } });
    expect(late.steps).toEqual(['launch']);
  });
});
