import { z } from 'zod';

// The functions' environment, validated once per container.

/** One deployment of the controller (serverless.yml: `${self:service}-${sls:stage}` unless given):
 * it is in every tag the controller writes, every EC2 filter, the IAM conditions and the SSM
 * prefix, so two stages in one account never see each other's servers. */
export const DeploymentIdSchema = z
  .string()
  .regex(/^[a-z0-9-]+$/, 'must be lowercase letters, digits or "-"')
  .max(32, 'must be at most 32 characters');

export const EnvSchema = z
  .object({
    /** `aws` in Lambda; `local` runs the same handlers against local mode (files, processes). */
    TARGET: z.enum(['aws', 'local']).default('aws'),
    /** The deployment this controller is; the default matches `serverless deploy` without --stage. */
    ZK_AUTOSCALER_DEPLOYMENT: DeploymentIdSchema.default('zk-autoscaler-dev'),
    /** SSM path under which every cluster lives; default `/zk-autoscaler/<deployment>`. */
    ZK_AUTOSCALER_PREFIX: z.string().regex(/^\/[A-Za-z0-9_.\/-]+[^/]$/, 'must be an SSM path like /zk-autoscaler/zk-autoscaler-prod').optional(),
    /** Local mode's home directory. */
    ZK_AUTOSCALER_HOME: z.string().min(1).default('.zk-autoscaler'),
    POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('ZkAutoscaler'),
    /** Longer than the function's timeout (a tick that dies holds the lease until then) and than the
     * longest acting call (controller CALL_MAX_MS, 60 s), or no step could ever start. */
    LEASE_TTL_SECONDS: z.coerce.number().int().min(90).max(3600).default(300),
    AWS_LAMBDA_FUNCTION_NAME: z.string().default('local'),
    /** The FIFO queue of per-cluster ticks, by name (serverless.yml sets it; a name, since `invoke
     * local` cannot resolve the queue's URL offline): a schedule or an alarm becomes one message per
     * cluster there. Unset (local mode, the CLI), the tick ticks every cluster itself. */
    TICK_QUEUE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,75}\.fifo$/, 'must be a FIFO queue name (letters, digits, "-" or "_", ending in .fifo)')
      .optional(),
    /** The fan-out sends a minute's messages over this many seconds, so ticks arrive at an even
     * rate rather than all at the top of the minute. */
    TICK_SPREAD_SECONDS: z.coerce.number().int().min(0).max(55).default(45),
    /** How many tick invocations may run at once (the queue mapping's maximum concurrency): each
     * container takes this share of the account's rates below. */
    TICK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10),
    /** The account's limits (per Region), as AWS has them for this account; raise them here when
     * AWS raised them. SSM GetParameter/GetParameters/GetParametersByPath together (default
     * throughput: 40/s). */
    SSM_READS_PER_SECOND: z.coerce.number().positive().max(10_000).default(40),
    /** SSM PutParameter (not published; reported as 3/s by default). */
    SSM_WRITES_PER_SECOND: z.coerce.number().positive().max(1_000).default(3),
    /** EC2 per non-mutating API (DescribeInstances, DescribeInstanceStatus... each has its own
     * bucket): refill per second and bucket size. */
    EC2_DESCRIBES_PER_SECOND: z.coerce.number().positive().max(10_000).default(20),
    EC2_DESCRIBE_BURST: z.coerce.number().int().min(1).max(100_000).default(100),
    /** The part of each limit the controller may use; the rest is left to everything else in the account. */
    RATE_SHARE: z.coerce.number().gt(0).max(1).default(0.8),
  })
  .transform((env) => ({ ...env, ZK_AUTOSCALER_PREFIX: env.ZK_AUTOSCALER_PREFIX ?? defaultPrefix(env.ZK_AUTOSCALER_DEPLOYMENT) }));
export type Env = z.output<typeof EnvSchema>;

export function defaultPrefix(deployment: string): string {
  return `/zk-autoscaler/${deployment}`;
}
