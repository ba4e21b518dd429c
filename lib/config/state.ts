import { z } from 'zod';
import {
  MAX_COUNT,
  MAX_PENDING_REPORTS,
  MAX_RETIRED_IDS,
  MAX_SPARES,
  MAX_STORM_CHANGES,
  MAX_TIME_MS,
  MAX_TRACKED_SERVERS,
  MAX_ZONES_AVOIDED,
  TEXT_BYTES,
} from '../core/limits.js';
import { clipText, jsonBytes } from '../core/text.js';
import { ClusterNameSchema, ZoneNameSchema } from './spec.js';
import { strictObject } from './strict.js';

// The controller's memory between ticks (SSM parameter or local file). It keeps only what cannot be
// observed: ids handed out, the operation in flight, evidence counters, clocks and pending reports.
// The membership is re-read from ZooKeeper and each server's zone and launch template from the
// fleet every tick. Every list and string is bounded (lib/core/limits.ts) so that the fullest state
// fits SSM's 4,096-byte standard parameter: an incident must never make the state unwritable.

const ServerIdSchema = z.number().int().min(1).max(255);
const TimeMs = z.number().int().min(0).max(MAX_TIME_MS);
const Count = z.number().int().min(0).max(MAX_COUNT);
const RoleSchema = z.enum(['voter', 'observer']);

/** Free text of at most `maxBytes` JSON bytes, as the core clips it. */
export function boundedText(maxBytes: number): z.ZodString {
  return z.string().refine((text) => jsonBytes(text) <= maxBytes, { message: `must take at most ${maxBytes} bytes as JSON` });
}

/** Consecutive evidence against a server, as detection counts it: a run of misses, or of slow answers
 * (never both: a slow server answered). Kept only while there is some. */
export const MemberHealthSchema = strictObject({
  serverId: ServerIdSchema,
  misses: Count.default(0),
  /** When the current run of misses began. */
  missingSince: TimeMs.optional(),
  slowTicks: Count.default(0),
  slowSince: TimeMs.optional(),
}).refine((h) => (h.misses === 0 && h.missingSince === undefined) || (h.slowTicks === 0 && h.slowSince === undefined), {
  message: 'a run of misses and a run of slow answers at once (a slow server answered)',
});

export const OperationStepSchema = z.enum(['launching', 'syncing', 'reconfiguring', 'terminating']);

const OperationBase = {
  /** Stable for the whole operation: EC2's ClientToken derives from it, so a retried launch is one launch. */
  id: z.string().regex(/^[a-z0-9-]{1,48}$/, 'must be 1-48 lowercase letters, digits or "-"'),
  serverId: ServerIdSchema,
  startedAt: TimeMs,
  step: OperationStepSchema,
  stepSince: TimeMs,
  why: boundedText(TEXT_BYTES.why),
};

/** The one membership change in flight. Its step is re-derived from what is observed each tick. */
export const OperationSchema = z.discriminatedUnion('kind', [
  strictObject({ kind: z.literal('add'), ...OperationBase, role: RoleSchema, zone: ZoneNameSchema }),
  strictObject({ kind: z.literal('replace'), ...OperationBase, replaces: ServerIdSchema, role: RoleSchema, zone: ZoneNameSchema }),
  /** A hot spare launched: done once it is synced (no reconfig: it stays outside the config). */
  strictObject({ kind: z.literal('spare'), ...OperationBase, zone: ZoneNameSchema }),
  /** `joinFailed`: the removal rolls back a joiner that did not start, sync or run a supported
   * ZooKeeper; its boot log is kept as evidence before it is stopped. */
  strictObject({ kind: z.literal('remove'), ...OperationBase, joinFailed: z.literal(true).optional() }),
]);

export const ZoneAvoidedSchema = strictObject({ zone: ZoneNameSchema, until: TimeMs, why: boundedText(TEXT_BYTES.zoneWhy) });
export const PendingReportSchema = strictObject({ serverId: ServerIdSchema, reason: boundedText(TEXT_BYTES.reason), at: TimeMs });

/** A server id that left the ensemble, until it may come back (lib/core/serverIds.ts): one that
 * served, with the committed config's version (hex) when its removal was first seen (it comes back
 * after a write commits past it), or a joiner rolled back before it synced, with the time (it never
 * served: it comes back once its instance is gone and a late listing would have shown it). */
export const RetiredIdSchema = z.union([
  strictObject({ serverId: ServerIdSchema, configVersion: z.string().regex(/^[0-9a-f]{1,16}$/, 'must be a zxid in lowercase hex') }),
  strictObject({ serverId: ServerIdSchema, since: TimeMs }),
]);

export const STATE_SCHEMA_VERSION = 2;

const StateV2Schema = strictObject({
  schemaVersion: z.literal(STATE_SCHEMA_VERSION),
  cluster: ClusterNameSchema,
  /** Every id below this one has been handed out at least once; ids from here up never served. */
  nextServerId: z.number().int().min(1).max(256),
  /** Ids that left the ensemble and are not reusable by observation alone (serverIds.ts). Absent
   * from states written before ids were reused. */
  retiredIds: z.array(RetiredIdSchema).max(MAX_RETIRED_IDS).default([]),
  health: z.array(MemberHealthSchema).max(MAX_TRACKED_SERVERS).default([]),
  /** Hot spares: servers seen synced as non-voting followers and kept outside the config on
   * purpose (any other server outside it is a stray, and stopped). Absent before spares existed. */
  spares: z.array(ServerIdSchema).max(MAX_SPARES).default([]),
  operation: OperationSchema.optional(),
  lastScaleOutAt: TimeMs.optional(),
  lastScaleInAt: TimeMs.optional(),
  /** Scale-in waits for the stabilization window: since when load has asked for fewer observers,
   * and the most it asked for meanwhile. */
  scaleInHold: strictObject({ since: TimeMs, highest: Count }).optional(),
  roundRobinCursor: Count.default(0),
  /** Zones where a new server did not start or sync in time: placement skips them until `until`. */
  zonesAvoided: z.array(ZoneAvoidedSchema).max(MAX_ZONES_AVOIDED).default([]),
  /** The leader last seen, and the times of the latest leader changes (as many as make a storm). */
  leader: strictObject({ serverId: ServerIdSchema.optional(), changes: z.array(TimeMs).max(MAX_STORM_CHANGES).default([]) }).prefault({}),
  /** External failure reports (manual `report`, alarms naming a server), one per server, awaiting
   * corroboration by probes. */
  reports: z.array(PendingReportSchema).max(MAX_PENDING_REPORTS).default([]),
  /** Members an operator asked to replace, until their replacement starts. */
  replaceRequests: z.array(ServerIdSchema).max(MAX_TRACKED_SERVERS).default([]),
  /** Operator requests up to this time have been taken into the state. */
  requestsSeenUpTo: TimeMs.default(0),
  /** New servers rolled back in a row (`count`: the next launch backs off), and of those the ones
   * that ran but never joined (`faulty`: the launch template's fault, not EC2's: at 3, launches
   * stop), from the template version they had ('' without one). */
  launchFailures: strictObject({ count: Count, faulty: Count, lastAt: TimeMs, template: z.string().regex(/^[0-9]{0,9}$/) }).optional(),
});

/** A state written by schema version 1 (which also kept a member list and each miss's text) is
 * read as version 2: what version 2 no longer keeps is dropped, lists cut to version 2's bounds. */
function fromVersion1(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || (input as { schemaVersion?: unknown }).schemaVersion !== 1) return input;
  const { members: _members, ...v1 } = input as Record<string, unknown>;
  const list = (value: unknown, max: number): unknown[] => (Array.isArray(value) ? value.slice(-max) : []);
  const count = (value: unknown): unknown => (typeof value === 'number' ? Math.min(MAX_COUNT, value) : value);
  const health = list(v1.health, MAX_TRACKED_SERVERS).map((h) => {
    const { lastMiss: _lastMiss, ...rest } = h as Record<string, unknown>;
    return { ...rest, misses: count(rest.misses), slowTicks: count(rest.slowTicks) };
  });
  const hold = v1.scaleInHold as Record<string, unknown> | undefined;
  const leader = (v1.leader ?? {}) as Record<string, unknown>;
  const clipped = (value: unknown, key: string, maxBytes: number): unknown => {
    const record = value as Record<string, unknown>;
    return typeof record[key] === 'string' ? { ...record, [key]: clipText(record[key], maxBytes) } : value;
  };
  return {
    ...v1,
    schemaVersion: STATE_SCHEMA_VERSION,
    health,
    ...(v1.operation ? { operation: clipped(v1.operation, 'why', TEXT_BYTES.why) } : {}),
    ...(hold ? { scaleInHold: { ...hold, highest: count(hold.highest) } } : {}),
    roundRobinCursor: count(v1.roundRobinCursor),
    replaceRequests: list(v1.replaceRequests, MAX_TRACKED_SERVERS),
    leader: { ...leader, changes: list(leader.changes, MAX_STORM_CHANGES) },
    reports: list(v1.reports, MAX_PENDING_REPORTS).map((r) => clipped(r, 'reason', TEXT_BYTES.reason)),
    zonesAvoided: list(v1.zonesAvoided, MAX_ZONES_AVOIDED).map((z) => clipped(z, 'why', TEXT_BYTES.zoneWhy)),
  };
}

export const ControllerStateSchema = z.preprocess(fromVersion1, StateV2Schema);

export type ControllerState = z.output<typeof StateV2Schema>;
export type Operation = z.output<typeof OperationSchema>;
export type OperationStep = z.output<typeof OperationStepSchema>;
export type MemberHealth = z.output<typeof MemberHealthSchema>;
export type PendingReport = z.output<typeof PendingReportSchema>;
export type ZoneAvoided = z.output<typeof ZoneAvoidedSchema>;
export type RetiredId = z.output<typeof RetiredIdSchema>;

export function initialState(cluster: string, nextServerId = 1): ControllerState {
  return StateV2Schema.parse({ schemaVersion: STATE_SCHEMA_VERSION, cluster, nextServerId });
}
