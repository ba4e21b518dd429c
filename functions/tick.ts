// The tick function: the 1-minute schedule and the CloudWatch alarm actions. Parse, tick every
// cluster under the prefix (each under its own lease), count what failed, return the summary.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { powertoolsLog } from '../lib/adapters/aws/index.js';
import { TICK_METRICS } from '../lib/adapters/aws/metricNames.js';
import { EnvSchema, parseOrThrow, parseTickEvent } from '../lib/config/index.js';
import { handleTickEvent, tickSummary } from '../lib/controller/index.js';
import { toControllerError, type ControllerError } from '../lib/errors.js';
import { depsFromEnv } from '../lib/wiring/index.js';

const env = parseOrThrow(EnvSchema, process.env, 'environment');
const logger = new Logger({ serviceName: 'zk-autoscaler' });
const metrics = new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE, serviceName: 'zk-autoscaler' });
const deps = depsFromEnv(env, powertoolsLog(logger)); // SDK clients made once per container

/** One TickFailed per failure, by kind: what the access-denied alarm counts. */
function countFailure(error: ControllerError): void {
  // A metric of its own: failures of different kinds in one invocation each keep their dimension.
  metrics.singleMetric().addDimension('kind', error.kind).addMetric(TICK_METRICS.failed.name, MetricUnit.Count, 1);
}

export const handler = middy(async (event: unknown) => {
  let results;
  try {
    results = await handleTickEvent(deps, parseTickEvent(event), Date.now());
  } catch (err) {
    // Failed before any cluster ticked (a bad event, or the clusters could not be listed).
    countFailure(toControllerError(err));
    throw err;
  }
  for (const r of results) if (r.error) countFailure(r.error);
  return { results: tickSummary(results) };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
