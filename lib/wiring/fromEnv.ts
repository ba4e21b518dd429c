import { resolve } from 'node:path';
import type { Env } from '../config/env.js';
import type { Deps } from '../controller/index.js';
import type { Log } from '../ports/index.js';
import { fleetOwners, type InstanceOwners, type TickQueue } from '../controller/triggers.js';
import type { RateBudgets } from '../adapters/aws/rateBudget.js';
import { awsClients, buildAwsDeps, ec2InstanceOwners, rateBudgets, sqsTickQueue, type AwsClients } from './aws.js';
import { buildLocalDeps } from './local.js';

/** A container's SDK clients and its share of the account's rate limits, made once and shared by
 * everything the function does. */
export interface AwsParts {
  readonly clients: AwsClients;
  readonly budgets: RateBudgets;
}

export function awsParts(env: Env): AwsParts {
  return { clients: awsClients(), budgets: rateBudgets(env) };
}

/** The functions' dependencies: AWS, or local mode with TARGET=local (sample events run end to end here). */
export function depsFromEnv(env: Env, log: Log, aws: AwsParts = awsParts(env)): Deps {
  return env.TARGET === 'local'
    ? buildLocalDeps({ home: resolve(env.ZK_AUTOSCALER_HOME), log, holder: `lambda-local:${process.pid}`, leaseTtlMs: env.LEASE_TTL_SECONDS * 1000 })
    : buildAwsDeps(env, aws.clients, log, aws.budgets);
}

/** Which cluster an instance event's instance belongs to: EC2's tags on AWS, within the ticks' rate
 * budgets; locally (no tags to read) each cluster's fleet is searched. */
export function instanceOwnersFromEnv(env: Env, deps: Deps, log: Log, aws: AwsParts): InstanceOwners {
  return env.TARGET === 'local' ? fleetOwners(deps) : ec2InstanceOwners(env, aws.clients, log, aws.budgets);
}

/** Where a schedule or an alarm fans out to: the tick queue on AWS; none in local mode, where the
 * tick function ticks every cluster itself. */
export function tickQueueFromEnv(env: Env): TickQueue | undefined {
  return env.TARGET === 'local' ? undefined : sqsTickQueue(env);
}
