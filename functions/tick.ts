// The tick function. A schedule or an alarm: on AWS, one message per cluster on the tick queue (the
// fan-out, paced over the minute); in local mode (no queue), every cluster ticked here. A batch
// from the queue: each message ticks its cluster, and the messages that failed are reported back
// (ReportBatchItemFailures) so SQS delivers them again, then to the dead-letter queue. An EC2 or
// Health event about an instance: its cluster's tick only, the same way (a notice files a replace
// request first).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { powertoolsLog } from '../lib/adapters/aws/index.js';
import { TICK_METRICS } from '../lib/adapters/aws/metricNames.js';
import { isInstanceEvent, isSqsEvent, parseWakeEvent } from '../lib/config/events.js';
import { EnvSchema, parseOrThrow } from '../lib/config/index.js';
import { handleTickEvent, tickSummary } from '../lib/controller/index.js';
import { fanOutTickEvent, FOLLOW_UP, handleInstanceEvent, handleTickMessages } from '../lib/controller/triggers.js';
import { toControllerError, type ControllerError } from '../lib/errors.js';
import { awsParts, depsFromEnv, instanceOwnersFromEnv, tickQueueFromEnv } from '../lib/wiring/index.js';

const env = parseOrThrow(EnvSchema, process.env, 'environment');
const logger = new Logger({ serviceName: 'zk-autoscaler' });
const metrics = new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE, serviceName: 'zk-autoscaler' });
const aws = awsParts(env); // SDK clients and rate budgets made once per container
const deps = depsFromEnv(env, powertoolsLog(logger), aws);
const queue = tickQueueFromEnv(env);
const owners = instanceOwnersFromEnv(env, deps, powertoolsLog(logger), aws);
/** A batch answers this long before the function's timeout, whatever its slowest cluster does. */
const ANSWER_MARGIN_MS = 10_000;

/** One TickFailed per failure, by kind: what the access-denied alarm counts. */
function countFailure(error: ControllerError): void {
  // A metric of its own: failures of different kinds in one invocation each keep their dimension.
  metrics.singleMetric().addDimension('kind', error.kind).addMetric(TICK_METRICS.failed.name, MetricUnit.Count, 1);
}

export const handler = middy(async (event: unknown, context: Context) => {
  try {
    if (isSqsEvent(event)) {
      const outcomes = await handleTickMessages(deps, event, { deadlineMs: context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS, followUp: FOLLOW_UP, ...(queue ? { queue } : {}) });
      for (const o of outcomes) {
        const error = o.failure ?? o.result?.error;
        if (error) countFailure(error);
      }
      return {
        results: tickSummary(outcomes.flatMap((o) => (o.result ? [o.result] : []))),
        batchItemFailures: outcomes.filter((o) => o.failure).map((o) => ({ itemIdentifier: o.messageId })),
      };
    }
    const tickEvent = parseWakeEvent(event);
    if (isInstanceEvent(tickEvent)) {
      const woken = await handleInstanceEvent(deps, tickEvent, Date.now(), { owners, ...(queue ? { queue } : {}) });
      for (const r of woken.results) if (r.error) countFailure(r.error);
      return queue ? { queued: woken.clusters.length } : { results: tickSummary(woken.results) };
    }
    if (queue) return { queued: (await fanOutTickEvent(deps, tickEvent, Date.now(), queue)).queued.length };
    const results = await handleTickEvent(deps, tickEvent, Date.now());
    for (const r of results) if (r.error) countFailure(r.error);
    return { results: tickSummary(results) };
  } catch (err) {
    // Failed before any cluster ticked (a bad event, the clusters not listed, ticks not queued).
    countFailure(toControllerError(err));
    throw err;
  }
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
