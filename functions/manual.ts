// The manual function: an operator's action (status, plan, scale, replace, pause, resume, forget,
// report, connect-string, spec-show, spec-set), with the same semantics as the CLI. It never acts
// on servers or membership: it reads, or records intent for the next tick.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { powertoolsLog } from '../lib/adapters/aws/index.js';
import { EnvSchema, OperatorActionSchema, parseOrThrow } from '../lib/config/index.js';
import { runOperatorAction } from '../lib/controller/index.js';
import { depsFromEnv } from '../lib/wiring/index.js';

const env = parseOrThrow(EnvSchema, process.env, 'environment');
const logger = new Logger({ serviceName: 'zk-autoscaler' });
const metrics = new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE, serviceName: 'zk-autoscaler' });
const deps = depsFromEnv(env, powertoolsLog(logger));

export const handler = middy(async (event: unknown) => {
  const action = parseOrThrow(OperatorActionSchema, event, 'manual event');
  const result = await runOperatorAction(deps, action, Date.now());
  // Lambda answers JSON: config versions (bigint) go out in hex.
  return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString(16) : value))) as unknown;
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
