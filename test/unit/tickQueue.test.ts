import { describe, expect, it } from 'vitest';
import { SqsTickQueue, TicksNotQueuedError } from '../../lib/adapters/aws/sqsTickQueue.js';
import { RateBudgets, TokenBucket } from '../../lib/adapters/aws/rateBudget.js';
import { ClusterSpecSchema, parseTickEvent } from '../../lib/config/index.js';
import { TickMessageSchema, type TickMessage } from '../../lib/config/events.js';
import type { Deps } from '../../lib/controller/index.js';
import { fanOutTickEvent, handleTickMessages } from '../../lib/controller/triggers.js';
import schedule from '../../events/schedule.json' with { type: 'json' };
import sqsSample from '../../events/sqs-tick.json' with { type: 'json' };
import { FakeSqsFifo } from '../support/fakeSqs.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';

// The tick queue: the fan-out's messages on a FIFO queue as strict as SQS, and the consumer's
// batches (partial failures, one cluster never holding up another), on in-memory adapters.

const QUEUE = 'zk-autoscaler-test-tick.fifo';
const noRetry = { attempts: 1, baseDelayMs: 0, sleep: async () => undefined };

/** A clock that only moves when the code waits. */
function simulatedTime() {
  let now = 0;
  return { clock: () => now, wait: async (ms: number) => void (now += ms), now: () => now };
}

const message = (cluster: string): TickMessage => ({ cluster, trigger: { kind: 'schedule' }, at: '2026-12-01T10:00:00Z' });

function record(messageId: string, body: unknown, group: string) {
  return { messageId, eventSource: 'aws:sqs', body: typeof body === 'string' ? body : JSON.stringify(body), attributes: { MessageGroupId: group } };
}

async function clusters(names: readonly string[]): Promise<{ store: MemoryStateStore; deps: Deps }> {
  const store = new MemoryStateStore();
  const models = new Map<string, ModelEnsemble>();
  for (const name of names) {
    const spec = ClusterSpecSchema.parse({ cluster: name, zones: [{ name: 'a' }] });
    await store.writeSpec(name, spec);
    models.set(name, new ModelEnsemble(spec, [1, 2, 3]));
  }
  return { store, deps: modelDeps(store, models) };
}

describe('the fan-out', () => {
  it('queues one message per cluster, grouped by cluster, in batches of 10 spread evenly over the window', async () => {
    const t = simulatedTime();
    const sqs = new FakeSqsFifo(QUEUE, t.clock);
    const queue = new SqsTickQueue(sqs.client, QUEUE, { spreadMs: 45_000, retry: noRetry, clock: t.clock, wait: t.wait });
    const names = Array.from({ length: 95 }, (_, i) => `c${i}`);
    await queue.send(names.map(message));
    expect(sqs.messages.map((m) => m.groupId)).toEqual(names);
    expect(sqs.messages.map((m) => TickMessageSchema.parse(JSON.parse(m.body)).cluster)).toEqual(names);
    // 10 batches, one every 4.5 s: the last leaves at 40.5 s, none at the top of the minute with the others.
    expect([...new Set(sqs.messages.map((m) => m.sentAt))]).toEqual(Array.from({ length: 10 }, (_, i) => i * 4_500));
  });

  it('queues a tick once when the same event is delivered twice (deduplication id from cluster, trigger and event time)', async () => {
    const sqs = new FakeSqsFifo(QUEUE);
    const queue = new SqsTickQueue(sqs.client, QUEUE, { spreadMs: 0, retry: noRetry });
    await queue.send([message('orders')]);
    await queue.send([message('orders')]);
    await queue.send([{ ...message('orders'), at: '2026-12-01T10:01:00Z' }]);
    expect(sqs.messages).toHaveLength(2);
  });

  it('sends again the entries SQS failed on its side, and names the clusters it could not queue', async () => {
    const sqs = new FakeSqsFifo(QUEUE);
    const queue = new SqsTickQueue(sqs.client, QUEUE, { spreadMs: 0, retry: noRetry });
    sqs.failing.set('orders', 1);
    await queue.send([message('orders'), message('billing')]);
    expect(sqs.messages.map((m) => m.groupId).sort()).toEqual(['billing', 'orders']);
    sqs.failing.set('orders', 5);
    await expect(queue.send([message('orders')])).rejects.toThrow(new TicksNotQueuedError(['orders'], 'InternalError: We encountered an internal error. Please try again.'));
  });

  it('lists the clusters once and queues each of them, from the sample schedule event', async () => {
    const { store, deps } = await clusters(['billing', 'orders']);
    const sent: TickMessage[] = [];
    const listed = { count: 0 };
    const counted = { ...deps, store: Object.assign(Object.create(store) as MemoryStateStore, { listClusters: async () => (listed.count++, store.listClusters()) }) };
    const { queued } = await fanOutTickEvent(counted, parseTickEvent(schedule), 1, { send: async (m) => void sent.push(...m) });
    expect(queued).toEqual(['billing', 'orders']);
    expect(listed.count).toBe(1);
    expect(sent).toEqual([
      { cluster: 'billing', trigger: { kind: 'schedule' }, at: schedule.time },
      { cluster: 'orders', trigger: { kind: 'schedule' }, at: schedule.time },
    ]);
  });
});

describe('the consumer', () => {
  it('ticks the sample SQS event\'s cluster', async () => {
    const { deps } = await clusters(['orders']);
    const [outcome] = await handleTickMessages(deps, sqsSample, { deadlineMs: 10_000 });
    expect(outcome).toMatchObject({ messageId: sqsSample.Records[0]?.messageId, cluster: 'orders', result: { outcome: 'waited' } }); // its first tick records its state
    expect(outcome?.failure).toBeUndefined();
  });

  it('reports a malformed record as that record\'s failure, naming the field, and ticks the others', async () => {
    const { deps, store } = await clusters(['orders']);
    const outcomes = await handleTickMessages(
      deps,
      {
        Records: [
          record('m1', { cluster: 'orders', trigger: { kind: 'schedule' }, at: 'now' }, 'orders'),
          record('m2', { cluster: 'billing', trigger: { kind: 'sometimes' }, at: 'now' }, 'billing'),
          record('m3', 'not json', 'x'),
          record('m4', { cluster: 'orders', trigger: { kind: 'schedule' }, at: 'now' }, 'misfiled'),
        ],
      },
      { deadlineMs: 10_000 },
    );
    expect(outcomes.map((o) => [o.messageId, o.failure?.message])).toEqual([
      ['m1', undefined],
      ['m2', expect.stringMatching(/^invalid SQS record m2 body: trigger\.kind: /)],
      ['m3', 'invalid SQS record m3: body: expected a JSON tick message (got "not json")'],
      ['m4', 'invalid SQS record m4: attributes.MessageGroupId: expected the message\'s cluster "orders" (got "misfiled")'],
    ]);
    expect(await store.listClusters()).toEqual(['orders']);
  });

  it('fails a poison cluster (a spec it cannot read) alone, and the later message of its group with it; the batch\'s clusters are listed together first', async () => {
    const { deps, store } = await clusters(['orders']);
    store.plantSpec('billing', '{"cluster": "billing", "voters": "many"}');
    const prepared: string[][] = [];
    const outcomes = await handleTickMessages(
      { ...deps, prepareListing: (names) => void prepared.push([...names]) },
      { Records: [record('b1', message('billing'), 'billing'), record('o1', message('orders'), 'orders'), record('b2', message('billing'), 'billing')] },
      { deadlineMs: 10_000 },
    );
    expect(outcomes.map((o) => [o.messageId, o.failure?.name])).toEqual([
      ['b1', 'InvalidInputError'],
      ['o1', undefined],
      ['b2', 'TickSkippedError'],
    ]);
    expect(outcomes[1]?.result?.outcome).toBe('waited');
    expect(prepared).toEqual([['billing', 'orders']]);
  });

  it('answers for the other clusters while one cluster\'s tick hangs, and reports the hung one at the deadline', async () => {
    const { deps } = await clusters(['orders', 'billing', 'stuck']);
    const hung: Deps = { ...deps, portsFor: async (cluster, spec) => (cluster === 'stuck' ? new Promise(() => undefined) : deps.portsFor(cluster, spec)) };
    const done = new Map<string, number>();
    const started = performance.now();
    const timed: Deps = { ...hung, recorder: (r) => void done.set(r.cluster, performance.now() - started) };
    const outcomes = await handleTickMessages(timed, { Records: [record('s', message('stuck'), 'stuck'), record('o', message('orders'), 'orders'), record('b', message('billing'), 'billing')] }, { deadlineMs: 1_000 });
    expect(outcomes.map((o) => [o.cluster, o.result?.outcome ?? o.failure?.name])).toEqual([
      ['stuck', 'TickOverdueError'],
      ['orders', 'waited'],
      ['billing', 'waited'],
    ]);
    // The others were ticked as soon as they would have been alone, not after the hung one.
    expect(done.get('orders')).toBeLessThan(500);
    expect(done.get('billing')).toBeLessThan(500);
  });
});

describe('rate budgets', () => {
  it('hand out no more than the rate after the burst, first come first served', async () => {
    const t = simulatedTime();
    const bucket = new TokenBucket(10, 5, t.clock, t.wait);
    const at: number[] = [];
    await Promise.all(Array.from({ length: 25 }, async () => bucket.take().then(() => at.push(t.now()))));
    expect(at.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(at.at(-1)).toBeCloseTo(2_000, 0); // 20 more at 10/s
  });

  it('share the account\'s limits among the containers: SSM reads together, EC2 per API', () => {
    const budgets = new RateBudgets({ ssmReadsPerSecond: 40, ssmWritesPerSecond: 3, ec2DescribesPerSecond: 20, ec2DescribeBurst: 100, share: 0.8, containers: 10 });
    expect(budgets.bucketFor('ssm', 'GetParameters')).toBe(budgets.bucketFor('ssm', 'GetParametersByPath'));
    expect(budgets.bucketFor('ssm', 'GetParameters')?.ratePerSecond).toBeCloseTo(3.2);
    expect(budgets.bucketFor('ec2', 'DescribeInstances')).not.toBe(budgets.bucketFor('ec2', 'DescribeInstanceStatus'));
    expect(budgets.bucketFor('ec2', 'DescribeInstances')).toMatchObject({ ratePerSecond: 1.6, burst: 8 });
    expect(budgets.bucketFor('ec2', 'RunInstances')).toBeUndefined();
  });

  it('let one acting tick\'s SSM calls go at once (its claim, state and release), sharing only the rate', async () => {
    const t = simulatedTime();
    const budgets = new RateBudgets({ ssmReadsPerSecond: 40, ssmWritesPerSecond: 3, ec2DescribesPerSecond: 20, ec2DescribeBurst: 100, share: 0.8, containers: 10 }, t.clock, t.wait);
    expect(budgets.bucketFor('ssm', 'PutParameter')).toMatchObject({ ratePerSecond: expect.closeTo(0.24, 5), burst: 3 });
    for (let i = 0; i < 3; i++) await budgets.take('ssm', 'PutParameter');
    expect(t.now()).toBe(0);
    // The next acting tick's first write waits for the rate: 1 / 0.24 s.
    await budgets.take('ssm', 'PutParameter');
    expect(t.now()).toBe(Math.ceil(1000 / 0.24));
  });
});
