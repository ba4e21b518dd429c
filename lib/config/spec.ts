import { z } from 'zod';

// The cluster spec: what the operator wants. Stored as JSON (SSM parameter or local file) and
// parsed here; core only ever sees the parsed value.

const Port = z.number().int().min(1).max(65535);

export const ClusterNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-", starting with a letter or digit');

/** Settings every server of the cluster shares; rendered into zoo.cfg by the bootstrap. */
export const ZooKeeperSettingsSchema = z.object({
  clientPort: Port.default(2181),
  quorumPort: Port.default(2888),
  electionPort: Port.default(3888),
  adminPort: Port.default(8080),
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

const SizeBounds = z.object({
  min: z.number().int().min(0).max(255),
  desired: z.number().int().min(0).max(255),
  max: z.number().int().min(0).max(255),
});

function checkBounds(bounds: { min: number; desired: number; max: number }, ctx: z.RefinementCtx): void {
  if (bounds.min > bounds.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `must be at most max (${bounds.max})` });
  if (bounds.desired < bounds.min || bounds.desired > bounds.max) {
    ctx.addIssue({ code: 'custom', path: ['desired'], message: `must be within min..max (${bounds.min}..${bounds.max})` });
  }
}

export const VoterBoundsSchema = SizeBounds.extend({
  min: z.number().int().min(1).max(255).default(3),
  desired: z.number().int().min(1).max(255).default(3),
  max: z.number().int().min(1).max(255).default(7),
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

export const ObserverBoundsSchema = SizeBounds.extend({
  min: z.number().int().min(0).max(255).default(0),
  desired: z.number().int().min(0).max(255).default(0),
  max: z.number().int().min(0).max(255).default(10),
}).superRefine(checkBounds);

export const ClusterSpecSchema = z.object({
  cluster: ClusterNameSchema,
  voters: VoterBoundsSchema.prefault({}),
  observers: ObserverBoundsSchema.prefault({}),
  zookeeper: ZooKeeperSettingsSchema.prefault({}),
});
export type ClusterSpec = z.output<typeof ClusterSpecSchema>;
