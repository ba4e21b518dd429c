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
  })
  .transform((env) => ({ ...env, ZK_AUTOSCALER_PREFIX: env.ZK_AUTOSCALER_PREFIX ?? defaultPrefix(env.ZK_AUTOSCALER_DEPLOYMENT) }));
export type Env = z.output<typeof EnvSchema>;

export function defaultPrefix(deployment: string): string {
  return `/zk-autoscaler/${deployment}`;
}
