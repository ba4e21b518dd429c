// The tick function: the 1-minute schedule and the CloudWatch alarm actions. Parse, tick every
// cluster under the prefix (each under its own lease), return the summary.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { powertoolsLog } from '../lib/adapters/aws/index.js';
import { EnvSchema, parseOrThrow, parseTickEvent } from '../lib/config/index.js';
import { handleTickEvent, tickSummary } from '../lib/controller/index.js';
import { depsFromEnv } from '../lib/wiring/index.js';

const env = parseOrThrow(EnvSchema, process.env, 'environment');
const logger = new Logger({ serviceName: 'zk-autoscaler' });
const metrics = new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE, serviceName: 'zk-autoscaler' });
const deps = depsFromEnv(env, powertoolsLog(logger)); // SDK clients made once per container

export const handler = middy(async (event: unknown) => {
  return { results: tickSummary(await handleTickEvent(deps, parseTickEvent(event), Date.now())) };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
