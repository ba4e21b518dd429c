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

// What EC2 and AWS Health say about an instance (docs/aws-facts.md §11). They name the instance,
// not our tags: the tick function finds its cluster (one DescribeInstances) and wakes that tick.

export const InstanceIdSchema = z.string().regex(/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, 'must be an EC2 instance id (i- and 8 or 17 hex digits)');
/** EventBridge's time: ISO 8601 in UTC, to the second. */
const EventTimeSchema = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be a date');
/** Every EventBridge event has its own id: a notice delivered twice files one request. */
const eventBase = { id: z.string().min(1).max(128), time: EventTimeSchema };

/** "EC2 Instance State-change Notification": the rule passes only the states of an instance going away. */
export const InstanceStateChangeEventSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance State-change Notification'),
  ...eventBase,
  detail: z.object({ 'instance-id': InstanceIdSchema, state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']) }),
});

/** "EC2 Spot Instance Interruption Warning": two minutes before EC2 acts (hibernation gets no head start). */
export const SpotInterruptionEventSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
  ...eventBase,
  detail: z.object({ 'instance-id': InstanceIdSchema, 'instance-action': z.enum(['hibernate', 'stop', 'terminate']) }),
});

/** "EC2 Instance Rebalance Recommendation": a Spot Instance at elevated risk; no deadline given. */
export const RebalanceRecommendationEventSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance Rebalance Recommendation'),
  ...eventBase,
  detail: z.object({ 'instance-id': InstanceIdSchema }),
});

/** Health's scheduled changes that take an instance away (stopped or terminated): replaced before
 * they start. The others the rule passes (reboots, maintenance) only wake the tick: the instance
 * comes back. Codes and sources in docs/aws-facts.md §11; serverless.yml's rule lists the same. */
export const HEALTH_RETIRING_CODES = {
  AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: 'scheduled retirement',
  AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED: 'scheduled retirement',
  AWS_EC2_INSTANCE_RETIREMENT_EXPEDITED: 'expedited retirement',
  AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_EXPEDITED: 'expedited retirement',
  AWS_EC2_INSTANCE_STOP_SCHEDULED: 'scheduled stop',
  AWS_EC2_INSTANCE_TERMINATION_SCHEDULED: 'scheduled termination',
} as const;

/** An affected entity names the instance by id, or by ARN (`arn:aws:ec2:<region>:<account>:instance/i-...`). */
const EntityInstanceSchema = z
  .string()
  .transform((v) => /^arn:aws[a-z-]*:ec2:[a-z0-9-]*:\d*:instance\/(i-[0-9a-f]+)$/.exec(v)?.[1] ?? v)
  .pipe(InstanceIdSchema);

/** "AWS Health Event" for EC2's scheduled changes; the instances are the affected entities. Health
 * sends an event again (updates, copies from its backup Region), and says when it is over. */
export const HealthScheduledChangeEventSchema = z.object({
  source: z.literal('aws.health'),
  'detail-type': z.literal('AWS Health Event'),
  ...eventBase,
  detail: z.object({
    eventArn: z.string().startsWith('arn:', 'must be an ARN'),
    service: z.literal('EC2'),
    eventTypeCategory: z.literal('scheduledChange'),
    eventTypeCode: z.string().regex(/^AWS_EC2_[A-Z0-9_]+$/, 'must be an EC2 event type code'),
    statusCode: z.enum(['open', 'closed', 'upcoming']),
    startTime: EventTimeSchema,
    // Entities that are not instances (a Dedicated Host, say) are left out; an event must name one.
    affectedEntities: z
      .array(z.object({ entityValue: z.string(), status: z.string().optional() }))
      .transform((entities) => entities.flatMap((e) => {
        const instance = EntityInstanceSchema.safeParse(e.entityValue);
        return instance.success ? [{ ...e, entityValue: instance.data }] : [];
      }))
      .refine((entities) => entities.length > 0, 'must name at least one EC2 instance (an id or an instance ARN)'),
  }),
});

export type InstanceEvent =
  | z.output<typeof InstanceStateChangeEventSchema>
  | z.output<typeof SpotInterruptionEventSchema>
  | z.output<typeof RebalanceRecommendationEventSchema>
  | z.output<typeof HealthScheduledChangeEventSchema>;

/** Picks the event's shape by its source (and alarm form), so a bad field is named precisely. */
export function parseTickEvent(input: unknown): TickEvent {
  const event = (input ?? {}) as Record<string, unknown>;
  const source = 'tick event';
  if (event.source === 'aws.events') return parseOrThrow(ScheduleEventSchema, input, source);
  if (event.source === 'aws.cloudwatch' && 'alarmData' in event) return parseOrThrow(AlarmActionEventSchema, input, source);
  if (event.source === 'aws.cloudwatch') return parseOrThrow(AlarmStateChangeEventSchema, input, source);
  throw new InvalidInputError(source, [`source: expected "aws.events" (schedule), "aws.cloudwatch" (alarm), "aws.ec2" or "aws.health" (instance events) (got ${showValue(event.source)})`]);
}

/** Everything that wakes the tick function directly: the schedule, an alarm, or an instance event. */
export function parseWakeEvent(input: unknown): TickEvent | InstanceEvent {
  const event = (input ?? {}) as Record<string, unknown>;
  const source = 'tick event';
  if (event.source === 'aws.health') return parseOrThrow(HealthScheduledChangeEventSchema, input, source);
  if (event.source !== 'aws.ec2') return parseTickEvent(input);
  const type = event['detail-type'];
  if (type === 'EC2 Instance State-change Notification') return parseOrThrow(InstanceStateChangeEventSchema, input, source);
  if (type === 'EC2 Spot Instance Interruption Warning') return parseOrThrow(SpotInterruptionEventSchema, input, source);
  if (type === 'EC2 Instance Rebalance Recommendation') return parseOrThrow(RebalanceRecommendationEventSchema, input, source);
  const expected = ['EC2 Instance State-change Notification', 'EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'];
  throw new InvalidInputError(source, [`detail-type: expected ${expected.map((t) => `"${t}"`).join(', ')} (got ${showValue(type)})`]);
}

export function isInstanceEvent(event: TickEvent | InstanceEvent): event is InstanceEvent {
  return event.source === 'aws.ec2' || event.source === 'aws.health';
}

/** A notice: why AWS wants instances back (a replace request's reason, within TEXT_BYTES.reason,
 * naming the deadline), the deadline itself when AWS gives one, the instances it asks for, and what
 * makes it the same notice when it comes again (the EventBridge event, or Health's event ARN: Health
 * sends an event again with a new EventBridge id). */
export interface InstanceNotice {
  readonly reason: string;
  readonly deadline?: number;
  readonly instanceIds: readonly string[];
  readonly key: string;
}

/** What an instance event says: the instances it names, what woke us (for the log and the queue's
 * deduplication), and, when instances should be replaced while they still run, the notice. */
export function instanceEventFacts(event: InstanceEvent): {
  readonly instanceIds: readonly string[];
  readonly wake: string;
  readonly notice: InstanceNotice | undefined;
  /** Instances the event says are going away (stopping, stopped, shutting down, terminated). */
  readonly gone: readonly string[];
} {
  const notice = (instanceIds: readonly string[], what: string, deadline: number | undefined, key = event.id): InstanceNotice => ({
    reason: deadline === undefined ? what : `${what} by ${new Date(deadline).toISOString().replace('.000Z', 'Z')}`,
    ...(deadline === undefined ? {} : { deadline }),
    instanceIds,
    key,
  });
  switch (event['detail-type']) {
    case 'EC2 Instance State-change Notification': {
      const id = event.detail['instance-id'];
      const going = event.detail.state !== 'pending' && event.detail.state !== 'running';
      return { instanceIds: [id], wake: `instance ${id} ${event.detail.state}`, notice: undefined, gone: going ? [id] : [] };
    }
    case 'EC2 Spot Instance Interruption Warning': {
      const id = event.detail['instance-id'];
      const action = event.detail['instance-action'];
      // Two minutes from the warning (hibernation begins at once: the deadline is then the event's time).
      const deadline = Date.parse(event.time) + (action === 'hibernate' ? 0 : SPOT_NOTICE_MS);
      return { instanceIds: [id], wake: `spot interruption of ${id}`, notice: notice([id], `spot interruption (${action})`, deadline), gone: [] };
    }
    case 'EC2 Instance Rebalance Recommendation': {
      const id = event.detail['instance-id'];
      return { instanceIds: [id], wake: `rebalance recommendation for ${id}`, notice: notice([id], 'spot rebalance recommendation (no deadline given)', undefined), gone: [] };
    }
    case 'AWS Health Event': {
      const { eventTypeCode: code, statusCode, affectedEntities, startTime, eventArn } = event.detail;
      const retiring = Object.hasOwn(HEALTH_RETIRING_CODES, code) ? HEALTH_RETIRING_CODES[code as keyof typeof HEALTH_RETIRING_CODES] : undefined;
      const ids = [...new Set(affectedEntities.map((e) => e.entityValue))];
      // An event that is over, or an instance it no longer affects, asks for nothing: it only wakes the tick.
      const affected = [...new Set(affectedEntities.filter((e) => e.status !== 'RESOLVED').map((e) => e.entityValue))];
      const asks = retiring !== undefined && statusCode !== 'closed' && affected.length > 0;
      return { instanceIds: ids, wake: `${code} (${statusCode}) for ${ids.join(',')}`, notice: asks ? notice(affected, retiring, Date.parse(startTime), eventArn) : undefined, gone: [] };
    }
  }
}

/** The id of a replace request an EC2 notice filed starts so: its reason names the notice and its
 * deadline, which the decision sentence repeats (an operator's request says only that one asked). */
export const NOTICE_REQUEST_PREFIX = 'notice-';

/** EC2 warns a Spot Instance this long before it stops or terminates it. */
const SPOT_NOTICE_MS = 120_000;

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
 * the waking event's time (a follow-up's: when it is due): with the cluster and the trigger it makes
 * the deduplication id, so an event delivered twice ticks each cluster once. */
export const TickMessageSchema = z
  .object({
    cluster: ClusterNameSchema,
    trigger: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('schedule') }).strict(),
      z.object({ kind: z.literal('alarm'), alarm: z.string().min(1) }).strict(),
      // `gone`: the cluster's instances the event says are going away, which its tick checks EC2 lists so.
      z.object({ kind: z.literal('instance'), event: z.string().min(1), gone: z.array(InstanceIdSchema).min(1).max(10).optional() }).strict(),
      // A cluster ticked again while a new member is on its way; `at` is when it is due.
      z.object({ kind: z.literal('follow-up') }).strict(),
    ]),
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
