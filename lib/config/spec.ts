import { z } from 'zod';
import { MAX_OBSERVERS, MAX_SPARES, MAX_STORM_CHANGES, MAX_VOTERS } from '../core/limits.js';
import { strictObject } from './strict.js';

// The cluster spec: what the operator wants. Stored as JSON (SSM parameter or local file) and
// parsed here, strictly (an unknown key is an error); core only ever sees the parsed value.

const Port = z.number().int().min(1).max(65535);

export const ClusterNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-", starting with a letter or digit');

/** Settings every server of the cluster shares; rendered into zoo.cfg by the bootstrap. */
export const ZooKeeperSettingsSchema = strictObject({
  clientPort: Port.default(2181),
  quorumPort: Port.default(2888),
  electionPort: Port.default(3888),
  adminPort: Port.default(8080),
  /** Where the AdminServer listens. ZooKeeper serves commands such as `initial_configuration` and
   * `system_properties` there without authentication, and the super digest is part of them, so by
   * default it is on loopback (locally: each server's own 127.x address); `server-address` binds
   * the server's address (EC2: every interface); `off` disables it. Probes use the 4lw commands. */
  adminServer: z.enum(['loopback', 'server-address', 'off']).default('loopback'),
  tickTimeMs: z.number().int().min(100).max(60_000).default(2000),
  initLimit: z.number().int().min(1).max(1000).default(10),
  syncLimit: z.number().int().min(1).max(1000).default(5),
  heapMb: z.number().int().min(64).max(65_536).default(512),
  /** Transaction log preallocation; ZooKeeper's default is 64 MiB. */
  preAllocSizeKb: z.number().int().min(1024).max(1_048_576).default(65_536),
  snapRetainCount: z.number().int().min(3).max(1000).default(3),
  purgeIntervalHours: z.number().int().min(0).max(24 * 30).default(1),
});
export type ZooKeeperSettings = z.output<typeof ZooKeeperSettingsSchema>;

function checkBounds(bounds: { min: number; desired: number; max: number }, ctx: z.RefinementCtx): void {
  if (bounds.min > bounds.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `must be at most max (${bounds.max})` });
  if (bounds.desired < bounds.min || bounds.desired > bounds.max) {
    ctx.addIssue({ code: 'custom', path: ['desired'], message: `must be within min..max (${bounds.min}..${bounds.max})` });
  }
}

/** Voter counts stop at MAX_VOTERS: more voters make writes slower, and the state keeps evidence per member. */
const VoterCount = z.number().int().min(1).max(MAX_VOTERS);
/** Observer counts stop at MAX_OBSERVERS, so that the state of the largest cluster fits its 4 KB parameter. */
const ObserverCount = z.number().int().min(0).max(MAX_OBSERVERS);

export const VoterBoundsSchema = strictObject({
  min: VoterCount.default(3),
  desired: VoterCount.default(3),
  max: VoterCount.default(7),
  /** At rest the voter count is odd: an even count buys no fault tolerance and costs a write ack. */
  allowEven: z.boolean().default(false),
}).superRefine((v, ctx) => {
  checkBounds(v, ctx);
  if (!v.allowEven) {
    for (const key of ['min', 'desired', 'max'] as const) {
      if (v[key] % 2 === 0) ctx.addIssue({ code: 'custom', path: [key], message: 'must be odd (set allowEven to allow even voter counts)' });
    }
  }
});

export const ObserverBoundsSchema = strictObject({
  min: ObserverCount.default(0),
  desired: ObserverCount.default(0),
  max: ObserverCount.default(10),
}).superRefine(checkBounds);

export const StrategyNameSchema = z.enum(['random', 'round-robin', 'least-response-time', 'least-requests']);
export type StrategyName = z.output<typeof StrategyNameSchema>;

/** Failure detection thresholds, counted in ticks (one probe round per tick). */
export const DetectionSchema = strictObject({
    /** Consecutive missed probes before a member is suspect (k). */
    suspectAfterMisses: z.number().int().min(1).max(100).default(2),
    /** Consecutive missed probes before a member has failed (n). */
    failAfterMisses: z.number().int().min(1).max(100).default(3),
    /** ...and missing (or slow, below) for at least this long: alarm and manual ticks can come seconds
     * apart, and an election or a rejoin takes a server away for a few seconds with nothing wrong. */
    failAfterSeconds: z.number().int().min(0).max(3600).default(15),
    /** A member is slow when its latency or outstanding requests are this many times the ensemble's median... */
    slowFactor: z.number().min(1.5).max(1000).default(5),
    /** ...and above these floors (a 2 ms server beside 0.1 ms ones is not slow)... */
    slowLatencyFloorMs: z.number().min(0).max(60_000).default(50),
    slowOutstandingFloor: z.number().int().min(0).max(1_000_000).default(100),
    /** ...for this many consecutive ticks (w). */
    slowForTicks: z.number().int().min(1).max(1000).default(5),
    /** Leader changes within the window that make an election storm. */
    electionStormChanges: z.number().int().min(2).max(MAX_STORM_CHANGES).default(3),
    electionStormWindowSeconds: z.number().int().min(60).max(86_400).default(600),
  })
  .superRefine((d, ctx) => {
    if (d.failAfterMisses < d.suspectAfterMisses) {
      ctx.addIssue({ code: 'custom', path: ['failAfterMisses'], message: `must be at least suspectAfterMisses (${d.suspectAfterMisses})` });
    }
  });

/** Target tracking on per-server read load; it sizes observers only. */
export const LoadPolicySchema = strictObject({
  /** Per-server targets; a missing one is not tracked. */
  targets: strictObject({
      requestsPerSecond: z.number().positive().optional(),
      connections: z.number().positive().optional(),
      avgLatencyMs: z.number().positive().optional(),
      outstandingRequests: z.number().positive().optional(),
    })
    .default({}),
  /** The window the load metrics are averaged over. */
  windowSeconds: z.number().int().min(30).max(3600).default(180),
  /** No change while every metric is within this fraction of its target. */
  tolerance: z.number().min(0).max(1).default(0.1),
  scaleOutCooldownSeconds: z.number().int().min(0).max(86_400).default(120),
  scaleInCooldownSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Scale in only to the highest size recommended over this window. */
  scaleInStabilizationSeconds: z.number().int().min(0).max(86_400).default(600),
});

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)');

/** A weekly window (UTC) with its own sizes: "observers at least 4 on weekdays 08:00-18:00". */
export const ScheduleSchema = strictObject({
  name: z.string().min(1).max(64),
  days: z.array(z.enum(DAYS)).min(1).default([...DAYS]),
  from: ClockTime,
  to: ClockTime,
  voters: VoterCount.optional(),
  observersMin: ObserverCount.optional(),
});

/** Zone names as AWS writes them (`eu-west-1a`, `us-west-2-lax-1a`); they reach tags and files. */
export const ZoneNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or "-"');

export const ZoneSchema = strictObject({
  name: ZoneNameSchema,
  /** The subnet servers in this zone are launched into (AWS); unused locally. */
  subnetId: z.string().regex(/^subnet-[0-9a-f]{1,32}$/, 'must be a subnet id like subnet-0abc').optional(),
});

export const ClusterSpecSchema = strictObject({
    cluster: ClusterNameSchema,
    voters: VoterBoundsSchema.prefault({}),
    observers: ObserverBoundsSchema.prefault({}),
    /** Servers kept running and synced as non-voting followers outside the config, spread over the
     * zones: a failed voter is healed by one reconfig that swaps a spare in (milliseconds instead of
     * a launch, a boot and a sync), and the spare is launched again in the background. Each costs a
     * server and acks every write like a voter (README: when spares pay off). */
    hotSpares: z.number().int().min(0).max(MAX_SPARES).default(0),
    /** While paused the controller observes and reports, and changes nothing. */
    paused: z.boolean().default(false),
    zookeeper: ZooKeeperSettingsSchema.prefault({}),
    detection: DetectionSchema.prefault({}),
    load: LoadPolicySchema.prefault({}),
    schedules: z.array(ScheduleSchema).max(20).default([]),
    zones: z.array(ZoneSchema).min(1).max(10).default([{ name: 'local' }]),
    /** `spread`: each new server goes to the zone with the fewest of its role, so losing any one
     * zone keeps the quorum. `pack`: everything in the first zone (no cross-zone traffic, and one
     * zone's loss takes the quorum with it). */
    zonePolicy: z.enum(['spread', 'pack']).default('spread'),
    /** Servers launched from another version are replaced, one at a time (rolling). */
    launchTemplate: strictObject({
      id: z.string().regex(/^lt-[0-9a-f]{1,32}$/, 'must be a launch template id like lt-0abc'),
      version: z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a version number (a fixed version: $Latest would change under the controller)'),
    }).optional(),
    strategies: strictObject({
        removal: StrategyNameSchema.default('least-requests'),
        placement: StrategyNameSchema.default('round-robin'),
        connectString: StrategyNameSchema.default('least-requests'),
      })
      .prefault({}),
    /** Servers in the published connect string (0: all). */
    connectStringSize: z.number().int().min(0).max(MAX_VOTERS + MAX_OBSERVERS).default(0),
    /** An operation that makes no progress for this long is rolled back and reported. */
    operationTimeoutSeconds: z.number().int().min(30).max(86_400).default(600),
  })
  .superRefine((spec, ctx) => {
    const names = new Set<string>();
    spec.zones.forEach((zone, i) => {
      if (names.has(zone.name)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'name'], message: 'listed twice' });
      names.add(zone.name);
    });
    spec.schedules.forEach((schedule, i) => {
      if (schedule.voters !== undefined && (schedule.voters < spec.voters.min || schedule.voters > spec.voters.max)) {
        ctx.addIssue({ code: 'custom', path: ['schedules', i, 'voters'], message: `must be within voters.min..max (${spec.voters.min}..${spec.voters.max})` });
      }
      if (schedule.voters !== undefined && schedule.voters % 2 === 0 && !spec.voters.allowEven) {
        ctx.addIssue({ code: 'custom', path: ['schedules', i, 'voters'], message: 'must be odd (set voters.allowEven to allow even voter counts)' });
      }
      if (schedule.observersMin !== undefined && schedule.observersMin > spec.observers.max) {
        ctx.addIssue({ code: 'custom', path: ['schedules', i, 'observersMin'], message: `must be at most observers.max (${spec.observers.max})` });
      }
    });
  });
export type ClusterSpec = z.output<typeof ClusterSpecSchema>;
