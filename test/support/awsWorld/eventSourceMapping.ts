import { DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { md5 } from '../fakeSqs.js';
import type { AwsClientConfig } from './index.js';

// Lambda's SQS event source mapping on a FIFO queue, as docs/aws-facts.md §6.4 has it: pollers
// long-poll the queue (ReceiveMessage, up to `batchSize` records, at most 10 on FIFO, no batching
// window) and invoke the function synchronously with the records as Lambda shapes them, at most
// `maximumConcurrency` invocations at once. SQS keeps a group's order: none of a group's messages is
// received while another of the group is in flight, so a cluster has one batch in flight at a time.
// With ReportBatchItemFailures the records the function lists in batchItemFailures stay (they come
// back after the queue's visibility timeout, and after maxReceiveCount receives SQS moves them to
// the dead-letter queue); the others are deleted. A function error, a timeout or a malformed
// response (an itemIdentifier empty or not in the batch) fails the whole batch. Everything goes
// through the SDK over the world's wire, as the mapping's own calls would.

type Invoke = (event: unknown, context: Context) => Promise<unknown>;

export interface EventSourceMappingOptions {
  readonly clientConfig: AwsClientConfig;
  readonly queueName: string;
  readonly functionName: string;
  readonly invoke: Invoke;
  /** serverless.yml: 10 (FIFO's largest). */
  readonly batchSize?: number;
  /** serverless.yml: tickConcurrency (10). */
  readonly maximumConcurrency?: number;
  /** The function's timeout (serverless.yml: 120 s). */
  readonly timeoutMs?: number;
}

export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Record<string, never>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface Invocation {
  readonly startedAt: number;
  endedAt?: number;
  readonly records: readonly SqsRecord[];
  response?: unknown;
  error?: unknown;
  /** The records deleted after the invocation, and those left to come back. */
  deleted: string[];
  failed: string[];
}

export interface EventSourceMapping {
  /** Every invocation so far, in the order they started. */
  readonly invocations: readonly Invocation[];
  /** Resolves with the first invocation, started since `from` (an index of `invocations`), that
   * `matches` and that has ended. */
  invocationOf(matches: (i: Invocation) => boolean, timeoutMs: number, from?: number): Promise<Invocation>;
  /** Stops polling, lets the invocations in flight end (for at most `graceMs`), and resolves. */
  close(graceMs?: number): Promise<void>;
}

const FIFO_MAX_BATCH = 10;
const LONG_POLL_SECONDS = 20;
const WAIT_STEP_MS = 20;
/** A poll that failed (throttled, a world fault) is tried again after this long. */
const POLL_BACKOFF_MS = 1_000;

export async function startEventSourceMapping(options: EventSourceMappingOptions): Promise<EventSourceMapping> {
  const batchSize = options.batchSize ?? FIFO_MAX_BATCH;
  if (batchSize < 1 || batchSize > FIFO_MAX_BATCH) throw new Error(`event source mapping: BatchSize ${batchSize}: a FIFO queue takes 1 to ${FIFO_MAX_BATCH}`);
  const maximumConcurrency = options.maximumConcurrency ?? 10;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const sqs = new SQSClient(options.clientConfig);
  const { QueueUrl: queueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: options.queueName }));
  const { Attributes: attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = attributes?.QueueArn ?? '';
  const region = options.clientConfig.region;
  const invocations: Invocation[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;
  const polls = new AbortController();

  const recordOf = (m: Message): SqsRecord => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: { ...m.Attributes },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? md5(m.Body ?? ''),
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: region,
  });

  const invoke = async (invocation: Invocation): Promise<void> => {
    const started = Date.now();
    const context = {
      functionName: options.functionName,
      awsRequestId: `esm-${invocations.indexOf(invocation)}`,
      getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    } as unknown as Context;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Task timed out after ${timeoutMs / 1000} seconds`)), timeoutMs);
    });
    try {
      invocation.response = await Promise.race([options.invoke({ Records: invocation.records }, context), timedOut]);
    } catch (err) {
      invocation.error = err;
    } finally {
      clearTimeout(timer);
    }
    const ids = invocation.records.map((r) => r.messageId);
    const failures = invocation.error === undefined ? itemFailures(invocation.response, ids) : undefined;
    invocation.failed = failures ?? ids;
    invocation.endedAt = Date.now();
    for (const r of invocation.records.filter((x) => !invocation.failed.includes(x.messageId))) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }));
      invocation.deleted.push(r.messageId);
    }
  };

  const poll = async (): Promise<void> => {
    while (!stopped) {
      if (running.size >= maximumConcurrency) {
        await Promise.race(running);
        continue;
      }
      let messages: Message[];
      try {
        const receive = new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: LONG_POLL_SECONDS, MessageSystemAttributeNames: ['All'] });
        const out = await sqs.send(receive, { abortSignal: polls.signal });
        messages = out.Messages ?? [];
      } catch {
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, POLL_BACKOFF_MS));
        continue;
      }
      if (messages.length === 0) continue;
      const invocation: Invocation = { startedAt: Date.now(), records: messages.map(recordOf), deleted: [], failed: [] };
      invocations.push(invocation);
      const run = invoke(invocation).finally(() => running.delete(run));
      running.add(run);
    }
  };
  const poller = poll();

  return {
    invocations,
    async invocationOf(matches, waitMs, from = 0) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const found = invocations.slice(from).find((i) => matches(i) && i.deleted.length + i.failed.length === i.records.length && i.endedAt !== undefined);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no invocation of ${options.functionName} from ${options.queueName} as awaited within ${waitMs} ms (${invocations.length - from} since)`);
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      }
    },
    async close(graceMs = 30_000) {
      stopped = true;
      polls.abort();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled([...running, poller]), grace]);
      clearTimeout(timer);
      sqs.destroy();
    },
  };
}

/** The records ReportBatchItemFailures leaves on the queue, or undefined when Lambda would fail the
 * whole batch: a response that lists an itemIdentifier empty or not in the batch. */
function itemFailures(response: unknown, ids: readonly string[]): string[] | undefined {
  const listed = (response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (listed === undefined || listed === null) return [];
  if (!Array.isArray(listed)) return undefined;
  const failed: string[] = [];
  for (const item of listed as unknown[]) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.includes(id)) return undefined;
    failed.push(id);
  }
  return failed;
}
