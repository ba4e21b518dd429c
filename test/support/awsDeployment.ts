import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import type { StatusView } from '../../lib/controller/index.js';
import { loopbackSubnets, startAwsWorld, type AwsWorld } from './awsWorld/index.js';
import { StepFailedError, waitFor } from './wait.js';

// A deployment of the controller on the AWS test world: the real `tick` and `manual` handlers
// (middy, Powertools and all) with their SDK clients pointed at the world, one cluster's spec set
// through the manual function and its super password put by hand, as the README does. The
// handlers make their clients when first imported: one deployment per process (per test file).

type Handler = (event: unknown, context: Context) => Promise<unknown>;
export interface TickOutcome {
  readonly cluster: string;
  readonly outcome: string;
  readonly why: string;
  readonly step?: string;
  readonly error?: { readonly message: string };
}

export interface AwsDeployment {
  readonly world: AwsWorld;
  readonly cluster: string;
  readonly deployment: string;
  readonly prefix: string;
  /** One invocation of the tick function (the schedule's event); throws when the cluster's tick failed. */
  tick(): Promise<TickOutcome>;
  /** One invocation of the tick function with an EventBridge event (an instance's state change, a
   * notice); the results of the ticks it woke. */
  wake(event: unknown): Promise<TickOutcome[]>;
  manual(event: Record<string, unknown>): Promise<unknown>;
  status(): Promise<StatusView>;
  /** Ticks until `done` holds for the status after a tick; `steps` gets each tick's step kind. */
  tickUntil(what: string, done: (s: StatusView) => boolean, timeoutMs: number, steps?: string[]): Promise<StatusView>;
  /** SDK calls made by tick invocations (not by status checks), per `service:Operation`, since `clearCalls`. */
  tickCalls(): Record<string, number>;
  clearCalls(): void;
  /** Instances neither shutting down nor terminated. */
  liveInstances(): string[];
  close(): Promise<void>;
}

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const SCHEDULE = JSON.parse(readFileSync(join(EVENTS, 'schedule.json'), 'utf8')) as unknown;
const CONTEXT = { functionName: 'zk-autoscaler-tick', awsRequestId: 'req-world', getRemainingTimeInMillis: () => 120_000 } as unknown as Context;
export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] as const;

export async function startAwsDeployment(options: { dir?: string; cluster?: string; spec?: Record<string, unknown> } = {}): Promise<AwsDeployment> {
  const cluster = options.cluster ?? 'orders';
  const deployment = 'zk-autoscaler-world';
  const prefix = `/zk-autoscaler/${deployment}`;
  const subnets = await loopbackSubnets(ZONES);
  const world = await startAwsWorld({ subnets, ...(options.dir ? { dir: options.dir } : {}) });
  Object.assign(process.env, world.env, {
    ZK_AUTOSCALER_DEPLOYMENT: deployment,
    AWS_LAMBDA_FUNCTION_NAME: 'zk-autoscaler-tick',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // One container ticks here: its rate budget is the account's, not a tenth of it.
    TICK_CONCURRENCY: '1',
  });
  const tickHandler = (await import('../../functions/tick.js')).handler as unknown as Handler;
  const manualHandler = (await import('../../functions/manual.js')).handler as unknown as Handler;
  const calls: Record<string, number> = {};

  const d: AwsDeployment = {
    world,
    cluster,
    deployment,
    prefix,
    async wake(event) {
      const before = world.calls();
      const answer = (await tickHandler(event, CONTEXT)) as { results: TickOutcome[] };
      for (const [op, n] of Object.entries(world.calls())) calls[op] = (calls[op] ?? 0) + n - (before[op] ?? 0);
      return answer.results;
    },
    async tick() {
      const answer = await d.wake(SCHEDULE);
      const result = answer.find((r) => r.cluster === cluster);
      if (!result) throw new Error(`no tick result for ${cluster}: ${JSON.stringify(answer)}`);
      if (result.error) throw new StepFailedError(`tick failed: ${result.error.message}`);
      return result;
    },
    manual: (event) => manualHandler(event, CONTEXT),
    async status() {
      return ((await manualHandler({ action: 'status', cluster }, CONTEXT)) as { data: StatusView }).data;
    },
    tickUntil(what, done, timeoutMs, steps = []) {
      return waitFor(
        what,
        async () => {
          steps.push((await d.tick()).step ?? 'none');
          const s = await d.status();
          return done(s) ? s : undefined;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
    tickCalls: () => Object.fromEntries(Object.entries(calls).filter(([, n]) => n > 0)),
    clearCalls: () => {
      for (const key of Object.keys(calls)) delete calls[key];
    },
    liveInstances: () => [...world.ec2.instances.values()].filter((i) => i.State?.Name !== 'terminated' && i.State?.Name !== 'shutting-down').map((i) => i.InstanceId ?? ''),
    close: () => world.close(),
  };
  const spec = {
    cluster,
    voters: { min: 3, desired: 3, max: 5 },
    zones: subnets.map((s) => ({ name: s.zone, subnetId: s.subnetId })),
    launchTemplate: { id: 'lt-0e2e0000000000001', version: '1' },
    zookeeper: { heapMb: 128, preAllocSizeKb: 4096 },
    detection: { failAfterSeconds: 1 },
    ...options.spec,
  };
  await new SSMClient(world.clientConfig).send(new PutParameterCommand({ Name: `${prefix}/${cluster}/super-password`, Value: 'world-super-password-of-32-chars', Type: 'SecureString' }));
  await d.manual({ action: 'spec-set', cluster, spec });
  return d;
}

/** n voters, all synced, no operation in flight. */
export const votersAtRest =
  (n: number) =>
  (s: StatusView): boolean =>
    s.voters.count === n && s.voters.synced === n && s.operation === undefined;
