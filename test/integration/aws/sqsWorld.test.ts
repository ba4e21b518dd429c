import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEventSourceMapping, type EventSourceMapping, type SqsRecord } from '../../support/awsWorld/eventSourceMapping.js';
import { loopbackSubnets, startAwsWorld, type AwsWorld } from '../../support/awsWorld/index.js';
import { waitFor } from '../../support/wait.js';

// SQS in the AWS test world through the real SDK v3 client (awsJson1_0, X-Amz-Target AmazonSQS.<Op>,
// query-compatible errors), answered by the strict FIFO fake; and Lambda's SQS event source mapping
// over it. No instance is launched: no JVM runs here. Visibility timeouts are 1 s so that what comes
// back after one can be seen.

const TICK = 'world-tick.fifo';
const DEAD = 'world-tick-dead.fifo';
const OTHER = 'world-other.fifo';
const MAPPED = 'world-mapped.fifo';
let world: AwsWorld;
let sqs: SQSClient;

beforeAll(async () => {
  world = await startAwsWorld({
    subnets: await loopbackSubnets(['eu-west-1a']),
    dir: inject('testRoot'),
    queues: [{ name: DEAD }, { name: TICK, visibilityTimeoutSeconds: 1, redrive: { deadLetter: DEAD, maxReceiveCount: 2 } }, { name: OTHER, visibilityTimeoutSeconds: 1 }, { name: MAPPED, visibilityTimeoutSeconds: 1 }],
  });
  sqs = new SQSClient(world.clientConfig);
});

afterAll(async () => {
  await world?.close();
});

const urlOf = async (name: string): Promise<string> => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
let sent = 0;
/** Sends one message per group given, in order; answers their bodies. */
async function send(queue: string, groups: readonly string[]): Promise<string[]> {
  const bodies = groups.map((g) => JSON.stringify({ g, n: sent++ }));
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: await urlOf(queue), Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b, MessageGroupId: groups[i], MessageDeduplicationId: b })) }));
  return bodies;
}
const receive = async (queue: string, max = 10): Promise<Message[]> =>
  (await sqs.send(new ReceiveMessageCommand({ QueueUrl: await urlOf(queue), MaxNumberOfMessages: max, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
const rejection = (p: Promise<unknown>): Promise<{ name: string; Code?: string; $metadata: { httpStatusCode?: number } }> =>
  p.then(
    () => expect.fail('the call answered'),
    (err: { name: string; Code?: string; $metadata: { httpStatusCode?: number } }) => err,
  );
const drain = async (queue: string): Promise<void> => {
  const url = await urlOf(queue);
  for (const m of await receive(queue)) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
};

describe('SQS in the AWS test world', () => {
  it('answers on its own endpoint, with the query-era error codes the client reads', async () => {
    expect(await urlOf(TICK)).toBe(`${world.endpoint}/123456789012/${TICK}`);
    const missing = await rejection(sqs.send(new GetQueueUrlCommand({ QueueName: 'nowhere.fifo' })));
    expect([missing.name, missing.Code, missing.$metadata.httpStatusCode]).toEqual(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 400]);
    const tooMany = await rejection(send(TICK, Array.from({ length: 11 }, () => 'a')));
    expect([tooMany.name, tooMany.Code]).toEqual(['TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest']);
    expect((await rejection(receive(TICK, 11))).name).toBe('InvalidParameterValue');
    // The client checks each body's MD5 on send and on receive: the fake's are SQS's.
    await send(OTHER, ['x']);
    expect((await receive(OTHER)).map((m) => m.Attributes?.MessageGroupId)).toEqual(['x']);
  });

  it('delivers a group in order, none of it while one of its messages is in flight, and deletes only with the latest receipt handle', async () => {
    const url = await urlOf(OTHER);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the previous test's message is visible again
    await drain(OTHER);
    const [a1, b1, a2] = await send(OTHER, ['a', 'b', 'a']);
    const first = await receive(OTHER, 1);
    expect(first.map((m) => m.Body)).toEqual([a1]);
    // a is in flight: only b's message comes.
    expect((await receive(OTHER)).map((m) => m.Body)).toEqual([b1]);
    const handle = first[0]?.ReceiptHandle ?? '';
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 }));
    const again = await receive(OTHER);
    expect(again.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      [a1, '2'],
      [a2, '1'],
    ]);
    // The first receive's handle is stale: accepted, deletes nothing; not in flight for a change.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle }));
    expect(world.sqs.get(OTHER)?.messages.map((m) => m.body)).toEqual([a1, b1, a2]);
    expect((await rejection(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 5 })))).name).toBe('MessageNotInflight');
    expect((await rejection(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'never-given' })))).name).toBe('ReceiptHandleIsInvalid');
    for (const m of again) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    expect(world.sqs.get(OTHER)?.messages.map((m) => m.body)).toEqual([b1]);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue instead of delivering it again', async () => {
    const [body] = await send(TICK, ['c']);
    expect((await receive(TICK)).map((m) => m.Body)).toEqual([body]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await receive(TICK)).map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await receive(TICK)).toEqual([]);
    expect((await receive(DEAD)).map((m) => m.Body)).toEqual([body]);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await urlOf(TICK), AttributeNames: ['All'] }));
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: `arn:aws:sqs:eu-west-1:123456789012:${DEAD}`, maxReceiveCount: 2 });
  });
});

describe("Lambda's SQS event source mapping in the test world", () => {
  let mapping: EventSourceMapping | undefined;
  afterAll(async () => {
    await mapping?.close(5_000);
  });

  it('invokes with records shaped as Lambda shapes them, one batch per group in flight, deletes what succeeded and leaves the reported failures to come back', async () => {
    let hold = true;
    const answers = new Map<string, unknown>([
      ['e', (records: SqsRecord[]) => ({ batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) })],
      // An identifier not in the batch: Lambda takes the whole batch as failed.
      ['f', () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] })],
    ]);
    mapping = await startEventSourceMapping({
      clientConfig: world.clientConfig,
      queueName: MAPPED,
      functionName: 'f',
      maximumConcurrency: 3,
      invoke: async (event) => {
        const records = (event as { Records: SqsRecord[] }).Records;
        await waitFor('released', () => (hold ? undefined : true), { timeoutMs: 10_000, intervalMs: 10 });
        const group = records[0]?.attributes.MessageGroupId ?? '';
        const answer = answers.get(group) as ((r: SqsRecord[]) => unknown) | undefined;
        answers.delete(group); // each fails once
        return answer?.(records) ?? {};
      },
    });
    const [d1] = await send(MAPPED, ['d']);
    await waitFor('d in flight', () => (mapping?.invocations.length === 1 ? true : undefined), { timeoutMs: 5_000 });
    const [record] = mapping.invocations[0]?.records ?? [];
    expect(record).toMatchObject({ body: d1, eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${MAPPED}`, awsRegion: 'eu-west-1', messageAttributes: {} });
    expect(Object.keys(record?.attributes ?? {}).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'MessageDeduplicationId', 'MessageGroupId', 'SenderId', 'SentTimestamp', 'SequenceNumber']);
    // d is in flight: its next message waits; e's and f's are delivered beside it.
    const [d2, e1, e2, f1] = await send(MAPPED, ['d', 'e', 'e', 'f']);
    await waitFor('e and f delivered', () => (mapping?.invocations.length === 2 ? true : undefined), { timeoutMs: 5_000 });
    expect(mapping.invocations[1]?.records.map((r) => r.body)).toEqual([e1, e2, f1]);
    hold = false;
    const second = await mapping.invocationOf((i) => i.records.some((r) => r.body === d2), 5_000);
    expect(second.records.map((r) => r.body)).toEqual([d2]);
    // Failed ones come back after the visibility timeout (1 s), received a second time.
    const retried = await mapping.invocationOf((i) => i.records.some((r) => r.body === e1 && r.attributes.ApproximateReceiveCount === '2'), 10_000);
    await waitFor('f retried', () => (world.sqs.get(MAPPED)?.messages.length === 0 ? true : undefined), { timeoutMs: 10_000 });
    const [first, mixed] = mapping.invocations;
    expect(first?.deleted).toEqual([record?.messageId]);
    // e's were reported: kept; f's identifier was not in the batch: the whole batch was kept.
    expect([mixed?.deleted, mixed?.failed.length]).toEqual([[], 3]);
    expect(retried.deleted).toHaveLength(retried.records.length);
  });
});
