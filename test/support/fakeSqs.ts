import { createRequire } from 'node:module';
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

// An SQS FIFO queue behind an SDK mock, as strict as SQS where the fan-out can go wrong:
// SendMessageBatch takes 1 to 10 entries with distinct ids, 256 KiB in all; a FIFO message needs a
// MessageGroupId and, on a queue without content-based deduplication, a MessageDeduplicationId
// (at most 128 characters), and takes no per-message DelaySeconds; a message whose deduplication
// id was seen within 5 minutes is accepted and dropped. Errors carry SQS's codes.

const sinon = createRequire(import.meta.url)('sinon') as typeof import('sinon');

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
const DEDUP_WINDOW_MS = 5 * 60_000;

function sqsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

export interface QueuedMessage {
  readonly body: string;
  readonly groupId: string;
  readonly sentAt: number;
}

export class FakeSqsFifo {
  readonly client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  readonly mock = mockClient(this.client, { sandbox: sinon.createSandbox() });
  readonly messages: QueuedMessage[] = [];
  /** Entries failing on SQS's side (not the sender's), by group, the next N times. */
  readonly failing = new Map<string, number>();
  private readonly seen = new Map<string, number>();

  constructor(
    readonly queueName: string,
    private readonly clock: () => number = () => Date.now(),
  ) {
    const url = `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueName}`;
    this.mock.on(GetQueueUrlCommand).callsFake((input: { QueueName?: string }) => {
      if (input.QueueName !== queueName) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: url };
    });
    this.mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      if (input.QueueUrl !== url) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
      const entries = input.Entries ?? [];
      if (entries.length === 0) throw sqsError('EmptyBatchRequest', 'The batch request doesn\'t contain any entries.');
      if (entries.length > MAX_ENTRIES) throw sqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_ENTRIES}.`);
      if (new Set(entries.map((e) => e.Id)).size !== entries.length) throw sqsError('BatchEntryIdsNotDistinct', 'Two or more batch entries have the same Id.');
      const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0);
      if (bytes > MAX_BATCH_BYTES) throw sqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes.`);
      const Successful = [];
      const Failed = [];
      for (const e of entries) {
        const sender = (message: string): void => void Failed.push({ Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: message });
        if (!e.MessageGroupId) sender('The request must contain the parameter MessageGroupId.');
        else if (!e.MessageDeduplicationId) sender('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        else if (e.MessageDeduplicationId.length > 128) sender('MessageDeduplicationId can be at most 128 characters.');
        else if (e.DelaySeconds !== undefined) sender('Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.');
        else if ((this.failing.get(e.MessageGroupId) ?? 0) > 0) {
          this.failing.set(e.MessageGroupId, (this.failing.get(e.MessageGroupId) ?? 0) - 1);
          Failed.push({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' });
        } else {
          const now = this.clock();
          const last = this.seen.get(e.MessageDeduplicationId);
          if (last === undefined || now - last > DEDUP_WINDOW_MS) {
            this.seen.set(e.MessageDeduplicationId, now);
            this.messages.push({ body: e.MessageBody ?? '', groupId: e.MessageGroupId, sentAt: now });
          }
          Successful.push({ Id: e.Id, MessageId: `m-${this.messages.length}`, MD5OfMessageBody: '' });
        }
      }
      return { Successful, Failed };
    });
  }
}
