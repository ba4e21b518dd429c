import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import type { StatusView } from '../../lib/controller/index.js';
import { startEventSourceMapping, type EventSourceMapping, type Invocation } from './awsWorld/eventSourceMapping.js';
import { loopbackSubnets, startAwsWorld, type AwsWorld } from './awsWorld/index.js';
import { startLogTap, type LogRecord, type LogTap } from './logTap.js';
import { StepFailedError, waitFor } from './wait.js';

// A deployment of the controller on the AWS test world: the real `tick` and `manual` handlers
// (middy, Powertools and all) with their SDK clients pointed at the world, one cluster's spec set
// through the manual function and its super password put by hand, as the README does. The
// handlers make their clients when first imported: one deployment per process (per test file).
//
// With `queue: true` it is deployed as serverless.yml deploys it: the tick function has the FIFO
// tick queue (TICK_QUEUE_NAME; visibility 240 s, retention 600 s, 3 receives then the dead-letter
// queue) and Lambda's SQS event source mapping (batches of 10, ReportBatchItemFailures,
// maximumConcurrency 10) delivers its messages back to it; EventBridge's rules deliver EC2's
// state changes of the world's instances to it (asynchronously). A schedule or an event then only
// queues ticks (the fan-out), and every cluster tick runs from the queue, follow-ups included.
// The function's log (Powertools, at INFO as deployed) is kept, not printed: `decisions()`.

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
  /** With the queue: the event source mapping (its invocations); else undefined. */
  readonly mapping: EventSourceMapping | undefined;
  /** With the queue: each cluster tick's decision, as the function logged it (its step and sentence), in order. */
  decisions(): readonly TickDecision[];
  /** With the queue: every record the functions logged (see logTap.ts). */
  log(): readonly LogRecord[];
  /** EventBridge: delivers `event` to the tick function asynchronously (as its rules do). */
  publish(event: unknown): void;
  /** With the queue: resolves once nothing is on its way to a tick (no event being delivered, no
   * message queued or in flight, no invocation running) for `quietMs`. */
  settled(timeoutMs: number, quietMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TickDecision {
  /** When it was logged (epoch ms). */
  readonly at: number;
  readonly cluster: string;
  readonly tickId: string;
  readonly step: string;
  readonly why: string;
}

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const SCHEDULE = JSON.parse(readFileSync(join(EVENTS, 'schedule.json'), 'utf8')) as unknown;
const CONTEXT = { functionName: 'zk-autoscaler-tick', awsRequestId: 'req-world', getRemainingTimeInMillis: () => 120_000 } as unknown as Context;
export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] as const;

/** serverless.yml's TickQueue and TickDeadLetterQueue, and the tick function's sqs event. */
const QUEUE = { visibilityTimeoutSeconds: 240, messageRetentionSeconds: 600, maxReceiveCount: 3, deadLetterRetentionSeconds: 1_209_600, batchSize: 10, maximumConcurrency: 10, timeoutMs: 120_000 };
/** The states serverless.yml's EC2 state-change rule passes. */
const RULE_STATES = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);
/** How long a queued tick may take to be delivered and run (follow-ups included: up to 90 s). */
const QUEUED_TICK_MS = 150_000;

export async function startAwsDeployment(options: { dir?: string; cluster?: string; spec?: Record<string, unknown>; queue?: boolean } = {}): Promise<AwsDeployment> {
  const cluster = options.cluster ?? 'orders';
  const deployment = 'zk-autoscaler-world';
  const prefix = `/zk-autoscaler/${deployment}`;
  const subnets = await loopbackSubnets(ZONES);
  // serverless.yml: ${service}-${stage}-tick.fifo and -tick-dead.fifo.
  const queueName = `${deployment}-tick.fifo`;
  const deadLetterName = `${deployment}-tick-dead.fifo`;
  const queues = options.queue
    ? [
        { name: deadLetterName, messageRetentionSeconds: QUEUE.deadLetterRetentionSeconds },
        { name: queueName, visibilityTimeoutSeconds: QUEUE.visibilityTimeoutSeconds, messageRetentionSeconds: QUEUE.messageRetentionSeconds, redrive: { deadLetter: deadLetterName, maxReceiveCount: QUEUE.maxReceiveCount } },
      ]
    : [];
  const world = await startAwsWorld({ subnets, queues, ...(options.dir ? { dir: options.dir } : {}) });
  Object.assign(process.env, world.env, {
    ZK_AUTOSCALER_DEPLOYMENT: deployment,
    AWS_LAMBDA_FUNCTION_NAME: 'zk-autoscaler-tick',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: options.queue ? 'INFO' : 'ERROR',
    // One process runs every invocation here (the mapping's concurrent ones too), with one set of
    // rate budgets: the account's share, not a tenth of it per container.
    TICK_CONCURRENCY: '1',
    ...(options.queue ? { TICK_QUEUE_NAME: queueName } : {}),
  });
  if (!options.queue) delete process.env.TICK_QUEUE_NAME;
  const tap: LogTap | undefined = options.queue ? startLogTap('zk-autoscaler') : undefined;
  const tickHandler = (await import('../../functions/tick.js')).handler as unknown as Handler;
  const manualHandler = (await import('../../functions/manual.js')).handler as unknown as Handler;
  const calls: Record<string, number> = {};
  const mapping = options.queue
    ? await startEventSourceMapping({ clientConfig: world.clientConfig, queueName, functionName: 'zk-autoscaler-tick', invoke: (event, context) => tickHandler(event, context), ...QUEUE })
    : undefined;
  const published = new Set<Promise<unknown>>();
  const publish = (event: unknown): void => {
    const p = tickHandler(event, CONTEXT)
      .catch(() => undefined)
      .finally(() => published.delete(p));
    published.add(p);
  };
  if (options.queue) world.onInstanceStateChange((event) => RULE_STATES.has(event.detail.state) && publish(event));

  /** The ESM invocations that ran the ticks `event` queued (each message's last tick's result). */
  const queuedTicks = async (event: { time?: unknown }, queued: number, sentFrom: number, sentTo: number, from: number): Promise<TickOutcome[]> => {
    if (!mapping || queued === 0) return [];
    const ours = (i: Invocation) => i.records.filter((r) => Number(r.attributes.SentTimestamp) >= sentFrom && Number(r.attributes.SentTimestamp) <= sentTo && (JSON.parse(r.body) as { at?: unknown }).at === event.time);
    const seen = new Set<Invocation>();
    let records = 0;
    while (records < queued) {
      const invocation = await mapping.invocationOf((i) => !seen.has(i) && ours(i).length > 0, QUEUED_TICK_MS, from);
      seen.add(invocation);
      records += ours(invocation).length;
    }
    return [...seen].flatMap((i) => {
      const failed = ours(i).filter((r) => i.failed.includes(r.messageId));
      if (failed.length > 0) throw new StepFailedError(`queued tick failed: ${failed.map((r) => r.body).join(', ')}: ${JSON.stringify(i.response ?? String(i.error))}`);
      const clusters = new Set(ours(i).map((r) => r.attributes.MessageGroupId));
      return ((i.response as { results?: TickOutcome[] }).results ?? []).filter((r) => clusters.has(r.cluster));
    });
  };

  const d: AwsDeployment = {
    world,
    cluster,
    deployment,
    prefix,
    mapping,
    async wake(event) {
      const before = world.calls();
      const from = mapping?.invocations.length ?? 0;
      const sentFrom = Date.now();
      const answer = (await tickHandler(event, CONTEXT)) as { results?: TickOutcome[]; queued?: number };
      const results = answer.queued === undefined ? (answer.results ?? []) : await queuedTicks(event as { time?: unknown }, answer.queued, sentFrom, Date.now(), from);
      for (const [op, n] of Object.entries(world.calls())) calls[op] = (calls[op] ?? 0) + n - (before[op] ?? 0);
      return results;
    },
    async tick() {
      // Through the queue each tick is a schedule event of its own: its time to the millisecond, so
      // that SQS's deduplication (cluster, trigger, event time) does not merge two in one second
      // (the real schedule fires once a minute, its time to the second).
      const answer = await d.wake(mapping ? { ...(SCHEDULE as object), time: new Date().toISOString() } : SCHEDULE);
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
    decisions: () =>
      (tap?.records ?? []).flatMap((r) =>
        typeof r.fields.step === 'string' && typeof r.fields.tickId === 'string' && typeof r.fields.cluster === 'string'
          ? [{ at: r.at, cluster: r.fields.cluster, tickId: r.fields.tickId, step: r.fields.step, why: r.message }]
          : [],
      ),
    log: () => tap?.records ?? [],
    async settled(timeoutMs, quietMs = 1_000) {
      const queue = world.sqs.get(queueName);
      let quietSince = Date.now();
      await waitFor(
        'the deployment settled (no event, message or invocation in flight)',
        () => {
          const busy = published.size > 0 || (queue?.messages.length ?? 0) > 0 || (mapping?.invocations.some((i) => i.endedAt === undefined) ?? false);
          if (busy) quietSince = Date.now();
          return !busy && Date.now() - quietSince >= quietMs ? true : undefined;
        },
        { timeoutMs, intervalMs: 50 },
      );
    },
    publish,
    async close() {
      try {
        await mapping?.close();
        await Promise.allSettled([...published]);
        await world.close();
      } finally {
        tap?.stop();
      }
    },
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
