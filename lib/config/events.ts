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
