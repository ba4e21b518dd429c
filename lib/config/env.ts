import { z } from 'zod';

// The functions' environment, validated once per container.

export const EnvSchema = z.object({
  /** `aws` in Lambda; `local` runs the same handlers against local mode (files, processes). */
  TARGET: z.enum(['aws', 'local']).default('aws'),
  /** SSM path under which every cluster lives. */
  ZK_AUTOSCALER_PREFIX: z.string().regex(/^\/[A-Za-z0-9_.\/-]+[^/]$/, 'must be an SSM path like /zk-autoscaler').default('/zk-autoscaler'),
  /** Local mode's home directory. */
  ZK_AUTOSCALER_HOME: z.string().min(1).default('.zk-autoscaler'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('ZkAutoscaler'),
  /** Longer than the function's timeout: a tick that dies holds the lease until then. */
  LEASE_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  AWS_LAMBDA_FUNCTION_NAME: z.string().default('local'),
});
export type Env = z.output<typeof EnvSchema>;
