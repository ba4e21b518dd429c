import { resolve } from 'node:path';
import type { Env } from '../config/env.js';
import type { Deps } from '../controller/index.js';
import type { Log } from '../ports/index.js';
import type { TickQueue } from '../controller/triggers.js';
import { awsClients, buildAwsDeps, rateBudgets, sqsTickQueue } from './aws.js';
import { buildLocalDeps } from './local.js';

/** The functions' dependencies: AWS, or local mode with TARGET=local (sample events run end to end here). */
export function depsFromEnv(env: Env, log: Log): Deps {
  return env.TARGET === 'local'
    ? buildLocalDeps({ home: resolve(env.ZK_AUTOSCALER_HOME), log, holder: `lambda-local:${process.pid}`, leaseTtlMs: env.LEASE_TTL_SECONDS * 1000 })
    : buildAwsDeps(env, awsClients(), log, rateBudgets(env));
}

/** Where a schedule or an alarm fans out to: the tick queue on AWS; none in local mode, where the
 * tick function ticks every cluster itself. */
export function tickQueueFromEnv(env: Env): TickQueue | undefined {
  return env.TARGET === 'local' ? undefined : sqsTickQueue(env);
}
