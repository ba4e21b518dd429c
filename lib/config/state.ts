import { z } from 'zod';
import { ClusterNameSchema } from './spec.js';

// The controller's memory between ticks (SSM parameter or local file). Small on purpose (SSM's
// standard tier holds 4 KB): the membership itself is always re-read from ZooKeeper; the state
// keeps what cannot be observed: ids handed out, the operation in flight, counters and clocks.

const ServerIdSchema = z.number().int().min(1).max(255);
const TimeMs = z.number().int().min(0);
const RoleSchema = z.enum(['voter', 'observer']);

/** What we know of a member that ZooKeeper does not tell: where and from what it was launched. */
export const MemberRecordSchema = z.object({
  serverId: ServerIdSchema,
  zone: z.string().min(1).max(64),
  launchedAt: TimeMs,
  launchTemplateVersion: z.string().min(1).max(32).optional(),
});

/** Consecutive evidence against a member, as detection counts it. */
export const MemberHealthSchema = z.object({
  serverId: ServerIdSchema,
  misses: z.number().int().min(0).default(0),
  /** When the current run of misses began. */
  missingSince: TimeMs.optional(),
  lastMiss: z.string().max(200).optional(),
  slowTicks: z.number().int().min(0).default(0),
  slowSince: TimeMs.optional(),
});

export const OperationStepSchema = z.enum(['launching', 'syncing', 'reconfiguring', 'terminating']);

const OperationBase = {
  /** Stable for the whole operation: EC2's ClientToken derives from it, so a retried launch is one launch. */
  id: z.string().min(1).max(64),
  serverId: ServerIdSchema,
  startedAt: TimeMs,
  step: OperationStepSchema,
  stepSince: TimeMs,
  why: z.string().max(400),
};

/** The one membership change in flight. Its step is re-derived from what is observed each tick. */
export const OperationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('add'), ...OperationBase, role: RoleSchema, zone: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('replace'), ...OperationBase, replaces: ServerIdSchema, role: RoleSchema, zone: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('remove'), ...OperationBase }),
]);

export const ControllerStateSchema = z.object({
  schemaVersion: z.literal(1),
  cluster: ClusterNameSchema,
  /** Ids are never reused: every id below this one has been handed out. 256 means exhausted. */
  nextServerId: z.number().int().min(1).max(256),
  members: z.array(MemberRecordSchema).max(255).default([]),
  health: z.array(MemberHealthSchema).max(255).default([]),
  operation: OperationSchema.optional(),
  lastScaleOutAt: TimeMs.optional(),
  lastScaleInAt: TimeMs.optional(),
  /** Scale-in waits for the stabilization window: since when load has asked for fewer observers,
   * and the most it asked for meanwhile. */
  scaleInHold: z.object({ since: TimeMs, highest: z.number().int().min(0) }).optional(),
  roundRobinCursor: z.number().int().min(0).default(0),
  /** Zones where a new server did not start or sync in time: placement skips them until `until`.
   * Short, since the state must fit a 4 KB SSM parameter. */
  zonesAvoided: z
    .array(z.object({ zone: z.string().min(1).max(64), until: TimeMs, why: z.string().max(80) }))
    .max(5)
    .default([]),
  leader: z
    .object({ serverId: ServerIdSchema.optional(), changes: z.array(TimeMs).max(100).default([]) })
    .prefault({}),
  /** External failure reports (manual `report`, alarms naming a server), awaiting corroboration by probes. */
  reports: z
    .array(z.object({ serverId: ServerIdSchema, reason: z.string().min(1).max(200), at: TimeMs }))
    .max(50)
    .default([]),
  /** Members an operator asked to replace, until their replacement starts. */
  replaceRequests: z.array(ServerIdSchema).max(50).default([]),
  /** Operator requests up to this time have been taken into the state. */
  requestsSeenUpTo: TimeMs.default(0),
});

export type ControllerState = z.output<typeof ControllerStateSchema>;
export type Operation = z.output<typeof OperationSchema>;
export type OperationStep = z.output<typeof OperationStepSchema>;
export type MemberRecord = z.output<typeof MemberRecordSchema>;
export type MemberHealth = z.output<typeof MemberHealthSchema>;

export function initialState(cluster: string, nextServerId = 1): ControllerState {
  return ControllerStateSchema.parse({ schemaVersion: 1, cluster, nextServerId });
}
