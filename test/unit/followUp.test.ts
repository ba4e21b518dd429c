import { describe, expect, it } from 'vitest';
import { SqsTickQueue } from '../../lib/adapters/aws/sqsTickQueue.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import type { TickMessage } from '../../lib/config/events.js';
import type { Deps } from '../../lib/controller/index.js';
import { followUpDue, handleTickMessages, type TickQueue } from '../../lib/controller/triggers.js';
import { FakeSqsFifo } from '../support/fakeSqs.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';

// A queue message whose tick launched a member's replacement, or waits on it, queues a follow-up:
// a message of its own, due at the next mark of a grid, held by the consumer until due, so the swap
// follows the new server's sync within seconds instead of the next minute's tick, whatever else
// shares the batch; bounded by `forMs` from the first tick of the chain.

const record = (messageId: string, message: TickMessage) => ({ messageId, eventSource: 'aws:sqs', body: JSON.stringify(message), attributes: { MessageGroupId: message.cluster } });
const scheduled = (cluster: string): TickMessage => ({ cluster, trigger: { kind: 'schedule' }, at: '2026-12-01T10:00:00Z' });

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

/** A queue that keeps what it is sent, to be delivered by hand. */
function keptQueue(): TickQueue & { sent: TickMessage[] } {
  const sent: TickMessage[] = [];
  return { sent, send: async (messages) => void sent.push(...messages) };
}

/** Delivers the queued follow-ups one at a time, as SQS would, until none is left (or `max`). */
async function deliverFollowUps(deps: Deps, queue: ReturnType<typeof keptQueue>, followUp: { everyMs: number; forMs: number }, max = 50): Promise<number> {
  let delivered = 0;
  for (let next = queue.sent.shift(); next && delivered < max; next = queue.sent.shift(), delivered++) {
    await handleTickMessages(deps, { Records: [record(`f${delivered}`, next)] }, { deadlineMs: 30_000, followUp, queue });
  }
  return delivered;
}

describe('follow-up ticks while a new server is on its way', () => {
  it('queues a follow-up due at the next grid mark; follow-ups carry the joiner to its swap, and the swap queues none', async () => {
    const { deps, steps } = await clusters(['orders']);
    const queue = keptQueue();
    const followUp = { everyMs: 20, forMs: 10_000 };
    const before = Date.now();
    await handleTickMessages(deps, { Records: [record('m1', scheduled('orders'))] }, { deadlineMs: 30_000, followUp, queue });
    expect(steps).toEqual(['orders:launch']);
    const [first] = queue.sent;
    expect(first).toMatchObject({ cluster: 'orders', trigger: { kind: 'follow-up' } });
    const due = Date.parse(first?.at ?? '');
    expect(due % followUp.everyMs).toBe(0);
    expect(due).toBeGreaterThanOrEqual(before + followUp.everyMs / 2);
    expect(await deliverFollowUps(deps, queue, followUp)).toBe(3);
    expect(steps).toEqual(['orders:launch', 'orders:wait', 'orders:wait', 'orders:reconfig']);
    expect(queue.sent).toEqual([]);
  });

  it('ticks once without a queue or follow-ups (the next minute\'s tick goes on)', async () => {
    const { deps, steps } = await clusters(['orders']);
    await handleTickMessages(deps, { Records: [record('m1', scheduled('orders'))] }, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 10_000 } });
    const queue = keptQueue();
    await handleTickMessages(deps, { Records: [record('m2', scheduled('orders'))] }, { deadlineMs: 30_000, queue });
    expect(steps).toEqual(['orders:launch', 'orders:wait']);
    expect(queue.sent).toEqual([]);
  });

  it('holds a follow-up until it is due, but never past the room a tick needs before the deadline', async () => {
    const { deps, steps } = await clusters(['orders']);
    const queue = keptQueue();
    const dueIn = (ms: number): TickMessage => ({ cluster: 'orders', trigger: { kind: 'follow-up' }, at: new Date(Date.now() + ms).toISOString() });
    let started = Date.now();
    await handleTickMessages(deps, { Records: [record('m1', dueIn(300))] }, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 10_000 }, queue });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(steps).toEqual(['orders:launch']);
    // Due in 25 s with 10.5 s of deadline: ticked after about 0.5 s (10 s are the tick's).
    started = Date.now();
    await handleTickMessages(deps, { Records: [record('m2', dueIn(25_000))] }, { deadlineMs: 10_500, followUp: { everyMs: 20, forMs: 10_000 }, queue });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(steps).toEqual(['orders:launch', 'orders:wait']);
  });

  it('ends the chain forMs after the replacement started: a joiner that never boots is left to the schedule', async () => {
    const { deps, steps } = await clusters(['orders'], { boots: 'never' });
    const queue = keptQueue();
    const followUp = { everyMs: 20, forMs: 200 };
    await handleTickMessages(deps, { Records: [record('m1', scheduled('orders'))] }, { deadlineMs: 30_000, followUp, queue });
    const delivered = await deliverFollowUps(deps, queue, followUp);
    expect(delivered).toBeGreaterThan(2);
    expect(delivered).toBeLessThanOrEqual(200 / 10);
    expect(steps[0]).toBe('orders:launch');
    expect(queue.sent).toEqual([]);
  });

  it('follows up each cluster of a batch that needs it, without holding the batch', async () => {
    const { deps, steps } = await clusters(['orders', 'billing']);
    const queue = keptQueue();
    const started = Date.now();
    await handleTickMessages(deps, { Records: [record('m1', scheduled('orders')), record('m2', scheduled('billing'))] }, { deadlineMs: 30_000, followUp: { everyMs: 5_000, forMs: 90_000 }, queue });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(steps.sort()).toEqual(['billing:launch', 'orders:launch']);
    expect(queue.sent.map((m) => [m.cluster, m.trigger.kind]).sort()).toEqual([['billing', 'follow-up'], ['orders', 'follow-up']]);
  });

  it('queues a follow-up after the last message of a cluster only', async () => {
    const { deps, steps } = await clusters(['orders']);
    const queue = keptQueue();
    await handleTickMessages(deps, { Records: [record('m1', scheduled('orders')), record('m2', { ...scheduled('orders'), at: '2026-12-01T10:01:00Z' })] }, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 10_000 }, queue });
    expect(steps).toEqual(['orders:launch', 'orders:wait']);
    expect(queue.sent).toHaveLength(1);
  });

  it('leaves a spare launched in the background to the schedule (no member is missing)', async () => {
    const { deps, steps } = await clusters(['orders'], { spare: true });
    const queue = keptQueue();
    await handleTickMessages(deps, { Records: [record('m1', scheduled('orders'))] }, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 10_000 }, queue });
    expect(steps).toEqual(['orders:launch']);
    expect(queue.sent).toEqual([]);
  });

  it('looks again once when EC2 said an instance is going away but still lists it running (its listing lags the event)', async () => {
    const store = new MemoryStateStore();
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a' }] });
    await store.writeSpec('orders', spec);
    const model = new ModelEnsemble(spec, [1, 2, 3]);
    const deps = modelDeps(store, new Map([['orders', model]]));
    const queue = keptQueue();
    // Server 2 runs on an instance whose id the message schema takes (the model's own are short).
    const instanceOf2 = 'i-0a1b2c3d4e5f60002';
    const server2 = model.servers.get(2);
    if (!server2) throw new Error('no server 2');
    model.servers.set(2, { ...server2, instanceId: instanceOf2 });
    const goneMessage = (gone: string): TickMessage => ({ cluster: 'orders', trigger: { kind: 'instance', event: `instance ${gone} shutting-down`, gone: [gone] }, at: '2026-12-01T10:00:00Z' });
    const deliver = (message: TickMessage) => handleTickMessages(deps, { Records: [{ messageId: 'm', eventSource: 'aws:sqs', body: JSON.stringify(message), attributes: { MessageGroupId: 'orders' } }] }, { deadlineMs: 30_000, followUp: { everyMs: 20, forMs: 10_000 }, queue });
    await deliver(goneMessage(instanceOf2));
    expect(queue.sent.map((m) => m.trigger.kind)).toEqual(['follow-up']);
    // Listed as going away: the tick itself acts on it; no look again for the listing's sake.
    queue.sent.length = 0;
    model.fail(2, 'stopped');
    const [outcome] = await deliver(goneMessage(instanceOf2));
    expect(outcome?.result?.step?.kind).toBe('launch');
    expect(queue.sent).toHaveLength(1); // the replacement's own follow-up
  });

  it('gives follow-ups queued by two ticks for the same mark one deduplication id: SQS keeps one', async () => {
    const sqs = new FakeSqsFifo('zk-autoscaler-test-tick.fifo');
    const queue = new SqsTickQueue(sqs.client, 'zk-autoscaler-test-tick.fifo', { spreadMs: 0, retry: { attempts: 1, baseDelayMs: 0, sleep: async () => undefined } });
    const followUp = { everyMs: 5_000, forMs: 90_000 };
    const mark = followUpDue(1_000_000, followUp);
    expect(followUpDue(1_000_000 + 1_000, followUp)).toBe(mark);
    const at = new Date(mark).toISOString();
    await queue.send([{ cluster: 'orders', trigger: { kind: 'follow-up' }, at }]);
    await queue.send([{ cluster: 'orders', trigger: { kind: 'follow-up' }, at }]);
    expect(sqs.messages).toHaveLength(1);
  });
});
