import { z } from 'zod';
import { InvalidInputError, showValue } from '../errors.js';
import { parseOrThrow } from './parse.js';
import { ClusterNameSchema } from './spec.js';

// The events the tick function accepts, as AWS sends them (shapes from the AWS docs; samples in
// events/). An alarm only hints: the tick decides from what it observes.

/** EventBridge schedule (`rate(1 minute)`): `detail` is an empty object. */
export const ScheduleEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string(),
});

const AlarmMetricSchema = z.object({
  id: z.string(),
  metricStat: z
    .object({ metric: z.object({ namespace: z.string().optional(), name: z.string(), dimensions: z.record(z.string(), z.string()).default({}) }) })
    .optional(),
});

const AlarmDataSchema = z.object({
  alarmName: z.string().min(1),
  state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.string().default('') }),
  configuration: z.object({ metrics: z.array(AlarmMetricSchema).default([]) }).default({ metrics: [] }),
});

/** A CloudWatch alarm action invoking the function directly. */
export const AlarmActionEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  alarmArn: z.string().startsWith('arn:'),
  time: z.string(),
  alarmData: AlarmDataSchema,
});

/** The same alarm, through EventBridge ("CloudWatch Alarm State Change"). */
export const AlarmStateChangeEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string(),
  detail: AlarmDataSchema,
});

export type TickEvent = z.output<typeof ScheduleEventSchema> | z.output<typeof AlarmActionEventSchema> | z.output<typeof AlarmStateChangeEventSchema>;

/** Picks the event's shape by its source (and alarm form), so a bad field is named precisely. */
export function parseTickEvent(input: unknown): TickEvent {
  const event = (input ?? {}) as Record<string, unknown>;
  const source = 'tick event';
  if (event.source === 'aws.events') return parseOrThrow(ScheduleEventSchema, input, source);
  if (event.source === 'aws.cloudwatch' && 'alarmData' in event) return parseOrThrow(AlarmActionEventSchema, input, source);
  if (event.source === 'aws.cloudwatch') return parseOrThrow(AlarmStateChangeEventSchema, input, source);
  throw new InvalidInputError(source, [`source: expected "aws.events" (schedule) or "aws.cloudwatch" (alarm) (got ${showValue(event.source)})`]);
}

/** What an alarm says: its name and state, and the cluster and server its metric names, if any. */
export interface AlarmHint {
  readonly alarm: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string;
  readonly cluster: string | undefined;
  readonly serverId: number | undefined;
}

export function alarmHint(event: TickEvent): AlarmHint | undefined {
  const data = 'alarmData' in event ? event.alarmData : 'detail' in event ? event.detail : undefined;
  if (!data) return undefined;
  const dimensions = data.configuration.metrics.map((m) => m.metricStat?.metric.dimensions ?? {}).find((d) => d.cluster !== undefined) ?? {};
  const cluster = ClusterNameSchema.safeParse(dimensions.cluster);
  const serverId = z.coerce.number().int().min(1).max(255).safeParse(dimensions.serverId);
  return {
    alarm: data.alarmName,
    state: data.state.value,
    reason: data.state.reason,
    cluster: cluster.success ? cluster.data : undefined,
    serverId: dimensions.serverId !== undefined && serverId.success ? serverId.data : undefined,
  };
}

/** One cluster's tick, as the fan-out puts it on the FIFO queue (MessageGroupId = cluster). `at` is
 * the waking event's time: with the cluster and the trigger it makes the deduplication id, so an
 * event delivered twice ticks each cluster once. */
export const TickMessageSchema = z
  .object({
    cluster: ClusterNameSchema,
    trigger: z.discriminatedUnion('kind', [z.object({ kind: z.literal('schedule') }).strict(), z.object({ kind: z.literal('alarm'), alarm: z.string().min(1) }).strict()]),
    at: z.string().min(1),
  })
  .strict();
export type TickMessage = z.output<typeof TickMessageSchema>;

/** An SQS record as the Lambda mapping delivers it: only the fields the tick reads. */
export const SqsRecordSchema = z.object({
  messageId: z.string().min(1),
  eventSource: z.literal('aws:sqs'),
  body: z.string(),
  attributes: z.object({ MessageGroupId: z.string().min(1) }),
});

/** The mapping's event: 1 to 10 records (a FIFO queue's batch). Each record is parsed on its own, so
 * one malformed record fails alone; only its messageId must be readable to report it. */
export const SqsEventSchema = z.object({ Records: z.array(z.object({ messageId: z.string().min(1) })).min(1).max(10) });

/** A record's message: the record's fields and its body, each named when malformed; the message's
 * cluster must be its group (the group is what keeps a cluster's ticks one at a time). */
export function parseTickRecord(record: unknown): TickMessage & { readonly messageId: string } {
  const r = parseOrThrow(SqsRecordSchema, record, 'SQS record');
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    throw new InvalidInputError(`SQS record ${r.messageId}`, [`body: expected a JSON tick message (got ${showValue(r.body.slice(0, 80))})`]);
  }
  const message = parseOrThrow(TickMessageSchema, body, `SQS record ${r.messageId} body`);
  if (message.cluster !== r.attributes.MessageGroupId) {
    throw new InvalidInputError(`SQS record ${r.messageId}`, [`attributes.MessageGroupId: expected the message's cluster "${message.cluster}" (got ${showValue(r.attributes.MessageGroupId)})`]);
  }
  return { ...message, messageId: r.messageId };
}

/** What woke the tick function: an EventBridge or alarm event, or a batch of queued ticks. */
export function isSqsEvent(input: unknown): boolean {
  return typeof input === 'object' && input !== null && Array.isArray((input as { Records?: unknown }).Records);
}
