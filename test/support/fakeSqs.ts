import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type ChangeMessageVisibilityCommandInput,
  type DeleteMessageCommandInput,
  type GetQueueAttributesCommandInput,
  type Message,
  type ReceiveMessageCommandInput,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

// An SQS FIFO queue behind an SDK mock, as strict as SQS where the fan-out and the Lambda mapping
// can go wrong. Sending: SendMessageBatch takes 1 to 10 entries with distinct ids, 256 KiB in all;
// a FIFO message needs a MessageGroupId and, on a queue without content-based deduplication, a
// MessageDeduplicationId (at most 128 characters), and takes no per-message DelaySeconds; a message
// whose deduplication id was seen within 5 minutes is accepted and dropped. Receiving (FIFO): a
// group's messages come in order, and none of a group while one of its messages is in flight
// (received, neither deleted nor visible again); a received message is invisible for the
// visibility timeout (the queue's, or the request's), its receive count goes up, and once it was
// received maxReceiveCount times the redrive policy moves it to the dead-letter queue instead of
// delivering it again; messages older than the retention period are gone. DeleteMessage and
// ChangeMessageVisibility take the latest receipt handle (an older one of the same message deletes
// nothing and succeeds, as SQS documents; one never handed out is ReceiptHandleIsInvalid; a
// visibility change of a message not in flight is MessageNotInflight). Errors carry SQS's codes
// (the SDK's exception names). Not modelled: ReceiveRequestAttemptId, message attributes, queue
// creation, DeleteMessageBatch and the other operations the project does not call.

const sinon = createRequire(import.meta.url)('sinon') as typeof import('sinon');

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
const DEDUP_WINDOW_MS = 5 * 60_000;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
const LONG_POLL_STEP_MS = 20;
const ACCOUNT = '123456789012';

function sqsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

const invalid = (parameter: string, value: unknown, reason: string): Error =>
  sqsError('InvalidParameterValue', `Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}.`);

/** A message while it is in the queue (sent, not yet deleted nor moved to the dead-letter queue). */
export interface QueuedMessage {
  readonly body: string;
  readonly groupId: string;
  readonly sentAt: number;
  readonly messageId: string;
  readonly deduplicationId: string;
  readonly sequenceNumber: string;
  receiveCount: number;
  firstReceivedAt?: number;
  /** In flight until then (received, not deleted). */
  invisibleUntil: number;
  /** Every handle a receive gave out; the last one is the one that deletes. */
  readonly receiptHandles: string[];
}

export interface FakeSqsOptions {
  /** Seconds a received message stays invisible unless the receive says otherwise (SQS: 30). */
  readonly visibilityTimeoutSeconds?: number;
  /** Seconds a message is kept (SQS: 4 days). */
  readonly messageRetentionSeconds?: number;
  /** The RedrivePolicy: after maxReceiveCount receives a message goes to the dead-letter queue. */
  readonly redrive?: { readonly deadLetter: FakeSqsFifo; readonly maxReceiveCount: number };
  /** Where queue URLs point: SQS answers them on the endpoint it was asked at. */
  readonly endpoint?: string;
  readonly region?: string;
}

export class FakeSqsFifo {
  readonly client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  readonly mock = mockClient(this.client, { sandbox: sinon.createSandbox() });
  /** What the queue holds, in order: sent and neither deleted nor dead-lettered. */
  readonly messages: QueuedMessage[] = [];
  /** Entries failing on SQS's side (not the sender's), by group, the next N times. */
  readonly failing = new Map<string, number>();
  readonly url: string;
  readonly arn: string;
  private readonly seen = new Map<string, number>();
  private sequence = 10n ** 19n;
  private closed = false;

  constructor(
    readonly queueName: string,
    private readonly clock: () => number = () => Date.now(),
    readonly options: FakeSqsOptions = {},
  ) {
    const region = options.region ?? 'eu-west-1';
    this.url = `${options.endpoint ?? `https://sqs.${region}.amazonaws.com`}/${ACCOUNT}/${queueName}`;
    this.arn = `arn:aws:sqs:${region}:${ACCOUNT}:${queueName}`;
    this.mock.on(GetQueueUrlCommand).callsFake((input: { QueueName?: string }) => {
      if (input.QueueName !== queueName) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: this.url };
    });
    this.mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => this.sendBatch(input));
    this.mock.on(ReceiveMessageCommand).callsFake((input: ReceiveMessageCommandInput) => this.receive(input));
    this.mock.on(DeleteMessageCommand).callsFake((input: DeleteMessageCommandInput) => {
      this.ownUrl(input.QueueUrl);
      const m = this.holderOf(input.ReceiptHandle ?? '');
      if (m.receiptHandles.at(-1) === input.ReceiptHandle) this.messages.splice(this.messages.indexOf(m), 1);
      return {};
    });
    this.mock.on(ChangeMessageVisibilityCommand).callsFake((input: ChangeMessageVisibilityCommandInput) => {
      this.ownUrl(input.QueueUrl);
      const seconds = visibilitySeconds(input.VisibilityTimeout);
      const m = this.holderOf(input.ReceiptHandle ?? '');
      if (m.receiptHandles.at(-1) !== input.ReceiptHandle || m.invisibleUntil <= this.clock()) {
        throw sqsError('MessageNotInflight', 'The message referred to isn\'t in flight.');
      }
      m.invisibleUntil = this.clock() + seconds * 1000;
      return {};
    });
    this.mock.on(GetQueueAttributesCommand).callsFake((input: GetQueueAttributesCommandInput) => {
      this.ownUrl(input.QueueUrl);
      const now = this.clock();
      this.expire(now);
      const all: Record<string, string> = {
        QueueArn: this.arn,
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        VisibilityTimeout: String(this.visibilitySeconds),
        MessageRetentionPeriod: String(this.options.messageRetentionSeconds ?? 345_600),
        ApproximateNumberOfMessages: String(this.messages.filter((m) => m.invisibleUntil <= now).length),
        ApproximateNumberOfMessagesNotVisible: String(this.messages.filter((m) => m.invisibleUntil > now).length),
        ...(options.redrive ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: options.redrive.deadLetter.arn, maxReceiveCount: options.redrive.maxReceiveCount }) } : {}),
      };
      const names = input.AttributeNames ?? [];
      return { Attributes: names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k as never))) };
    });
  }

  /** Ends the long polls waiting now (they answer no messages) and every later one at once. */
  close(): void {
    this.closed = true;
  }

  private get visibilitySeconds(): number {
    return this.options.visibilityTimeoutSeconds ?? 30;
  }

  private ownUrl(url: string | undefined): void {
    if (url !== this.url) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  }

  private holderOf(receiptHandle: string): QueuedMessage {
    const m = this.messages.find((x) => x.receiptHandles.includes(receiptHandle));
    if (!m) throw sqsError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    return m;
  }

  private sendBatch(input: SendMessageBatchCommandInput): object {
    this.ownUrl(input.QueueUrl);
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
        const body = e.MessageBody ?? '';
        const message = { messageId: randomUUID(), sequenceNumber: String((this.sequence += 1n)) };
        if (last === undefined || now - last > DEDUP_WINDOW_MS) {
          this.seen.set(e.MessageDeduplicationId, now);
          this.messages.push({ ...message, body, groupId: e.MessageGroupId, deduplicationId: e.MessageDeduplicationId, sentAt: now, receiveCount: 0, invisibleUntil: 0, receiptHandles: [] });
        }
        Successful.push({ Id: e.Id, MessageId: message.messageId, MD5OfMessageBody: md5(body), SequenceNumber: message.sequenceNumber });
      }
    }
    return { Successful, Failed };
  }

  /** The visible messages a receive takes now, FIFO: a group's in order, none of a group with one in flight. */
  private take(max: number, now: number): QueuedMessage[] {
    this.expire(now);
    const blocked = new Set(this.messages.filter((m) => m.invisibleUntil > now).map((m) => m.groupId));
    const taken: QueuedMessage[] = [];
    for (const m of [...this.messages]) {
      if (taken.length >= max) break;
      if (blocked.has(m.groupId)) continue;
      const redrive = this.options.redrive;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        this.messages.splice(this.messages.indexOf(m), 1);
        redrive.deadLetter.messages.push({ ...m, receiveCount: 0, invisibleUntil: 0, receiptHandles: [] });
        continue;
      }
      taken.push(m);
    }
    return taken;
  }

  private expire(now: number): void {
    const retention = (this.options.messageRetentionSeconds ?? 345_600) * 1000;
    for (const m of this.messages.filter((x) => now - x.sentAt >= retention)) this.messages.splice(this.messages.indexOf(m), 1);
  }

  private async receive(input: ReceiveMessageCommandInput): Promise<object> {
    this.ownUrl(input.QueueUrl);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > MAX_ENTRIES) throw invalid('MaxNumberOfMessages', max, 'Must be between 1 and 10, if provided');
    const wait = input.WaitTimeSeconds ?? 0;
    if (wait < 0 || wait > MAX_WAIT_SECONDS) throw invalid('WaitTimeSeconds', wait, 'Must be >= 0 and <= 20, if provided');
    const visibility = visibilitySeconds(input.VisibilityTimeout ?? this.visibilitySeconds);
    const names = new Set([...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])].map(String));
    // A long poll answers as soon as there is a message (real time: a simulated clock never waits).
    const until = Date.now() + wait * 1000;
    let taken = this.take(max, this.clock());
    while (taken.length === 0 && !this.closed && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, LONG_POLL_STEP_MS));
      taken = this.take(max, this.clock());
    }
    const now = this.clock();
    const Messages: Message[] = taken.map((m) => {
      m.receiveCount += 1;
      m.firstReceivedAt ??= now;
      m.invisibleUntil = now + visibility * 1000;
      m.receiptHandles.push(randomBytes(48).toString('base64'));
      const attributes: Record<string, string> = {
        SenderId: 'AROAWORLD:zk-autoscaler-tick',
        SentTimestamp: String(m.sentAt),
        ApproximateReceiveCount: String(m.receiveCount),
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
        SequenceNumber: m.sequenceNumber,
        MessageDeduplicationId: m.deduplicationId,
        MessageGroupId: m.groupId,
      };
      const chosen = names.has('All') ? attributes : Object.fromEntries(Object.entries(attributes).filter(([k]) => names.has(k)));
      return { MessageId: m.messageId, ReceiptHandle: m.receiptHandles.at(-1), MD5OfBody: md5(m.body), Body: m.body, ...(Object.keys(chosen).length > 0 ? { Attributes: chosen } : {}) };
    });
    return Messages.length > 0 ? { Messages } : {};
  }
}

function visibilitySeconds(value: number | undefined): number {
  const seconds = value ?? 0;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) throw invalid('VisibilityTimeout', seconds, `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided`);
  return seconds;
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
