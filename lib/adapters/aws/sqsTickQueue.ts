import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueUrlCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { TickMessage } from '../../config/events.js';
import { ControllerError } from '../../errors.js';
import { AwsCallError, awsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';

// The fan-out's side of the tick queue: one message per cluster on a FIFO queue, its group the
// cluster (a cluster's ticks run one at a time, in order; clusters run side by side), its
// deduplication id derived from the cluster, the trigger and the waking event's time (an event
// delivered twice queues each tick once, within SQS's 5-minute deduplication window). FIFO queues
// have no per-message delay, so the fan-out spreads the minute itself: batches of 10 (SQS's
// largest) sent at even intervals over `spreadMs`.

/** SendMessageBatch takes at most 10 entries. */
const BATCH_ENTRIES = 10;
/** Entries SQS failed on its side are sent again this many times. */
const FAILED_ENTRY_ATTEMPTS = 3;

/** Some messages could not be queued: those clusters miss this tick (the next event queues them). */
export class TicksNotQueuedError extends ControllerError {
  readonly kind = 'transient';
  constructor(clusters: readonly string[], reasons: string) {
    super(`ticks not queued for ${clusters.join(', ')}: ${reasons}`, { clusters: clusters.join(','), reasons });
    this.name = 'TicksNotQueuedError';
  }
}

export interface SqsTickQueueOptions {
  /** The minute's messages go out evenly over this long; 0 sends them at once. */
  readonly spreadMs: number;
  readonly retry?: RetryPolicy;
  readonly wait?: (ms: number) => Promise<unknown>;
  readonly clock?: () => number;
}

export class SqsTickQueue {
  /** Looked up once per container. */
  private queueUrl: string | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueName: string,
    private readonly options: SqsTickQueueOptions,
  ) {}

  /** Queues every message, paced; resolves when the last batch is sent. */
  async send(messages: readonly TickMessage[]): Promise<void> {
    const clock = this.options.clock ?? (() => Date.now());
    const wait = this.options.wait ?? ((ms: number) => sleep(ms));
    const queueUrl = await this.url();
    const batches: TickMessage[][] = [];
    for (let i = 0; i < messages.length; i += BATCH_ENTRIES) batches.push(messages.slice(i, i + BATCH_ENTRIES));
    const started = clock();
    const notQueued: { cluster: string; reason: string }[] = [];
    for (const [i, batch] of batches.entries()) {
      const due = started + (this.options.spreadMs * i) / batches.length;
      if (due > clock()) await wait(due - clock());
      notQueued.push(...(await this.sendBatch(queueUrl, batch)));
    }
    if (notQueued.length > 0) {
      throw new TicksNotQueuedError(
        notQueued.map((n) => n.cluster),
        [...new Set(notQueued.map((n) => n.reason))].join('; '),
      );
    }
  }

  /** One batch, sending again the entries SQS failed on its side; answers those it never took. */
  private async url(): Promise<string> {
    if (this.queueUrl === undefined) {
      const out = await this.call('GetQueueUrl', () => this.sqs.send(new GetQueueUrlCommand({ QueueName: this.queueName })));
      if (!out.QueueUrl) throw new AwsCallError('sqs', 'GetQueueUrl', this.queueName, 'NoQueueUrl');
      this.queueUrl = out.QueueUrl;
    }
    return this.queueUrl;
  }

  private call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return withThrottlingRetry(this.options.retry ?? DEFAULT_RETRY, send).catch((err: unknown) => {
      throw awsCallError('sqs', operation, this.queueName, err);
    });
  }

  private async sendBatch(queueUrl: string, batch: readonly TickMessage[]): Promise<{ cluster: string; reason: string }[]> {
    let entries = batch.map((message, i) => entryOf(message, i));
    for (let attempt = 1; ; attempt++) {
      const out = await this.call('SendMessageBatch', () => this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })));
      const failed = out.Failed ?? [];
      const retried = failed.filter((f) => !f.SenderFault).map((f) => f.Id);
      const again = entries.filter((e) => retried.includes(e.Id));
      if (again.length === 0 || attempt >= FAILED_ENTRY_ATTEMPTS) {
        return failed.map((f) => ({ cluster: entries.find((e) => e.Id === f.Id)?.MessageGroupId ?? `entry ${f.Id}`, reason: `${f.Code ?? 'unknown'}${f.Message ? `: ${f.Message}` : ''}` }));
      }
      entries = again;
    }
  }
}

function entryOf(message: TickMessage, index: number): SendMessageBatchRequestEntry & { Id: string } {
  const t = message.trigger;
  const trigger = t.kind === 'alarm' ? `alarm:${t.alarm}` : t.kind === 'instance' ? `instance:${t.event}` : t.kind;
  return {
    Id: String(index),
    MessageBody: JSON.stringify(message),
    MessageGroupId: message.cluster,
    // At most 128 characters: a digest of what makes the tick the same tick.
    MessageDeduplicationId: createHash('sha256').update(`${message.cluster}\n${trigger}\n${message.at}`).digest('hex'),
  };
}
