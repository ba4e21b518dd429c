import { createHash } from 'node:crypto';
import { alarmHint, instanceEventFacts, NOTICE_REQUEST_PREFIX, parseTickRecord, SqsEventSchema, type InstanceEvent, type TickEvent, type TickMessage } from '../config/events.js';
import { parseOrThrow } from '../config/parse.js';
import { ClusterNameSchema } from '../config/spec.js';
import type { Operation } from '../config/state.js';
import { clipText, TEXT_BYTES, type ServerId, type Step } from '../core/index.js';
import { ControllerError, toControllerError } from '../errors.js';
import { runTick, tickCluster, type Deps, type TickResult, type Trigger } from './tick.js';

// What the tick function does with an event: a schedule or an alarm only wakes the tick, which
// decides from what it observes. An alarm in ALARM that names a cluster and server also files a
// failure report, which probes must corroborate before anything is replaced; an alarm naming a
// cluster this deployment does not manage writes nothing.
//
// On AWS the event is fanned out: one message per cluster on a FIFO queue whose group is the
// cluster, and each message ticks its cluster alone (handleTickMessages). Without a queue (local
// mode, the CLI) every cluster is ticked here, in parallel.

export function triggerOf(event: TickEvent): TickMessage['trigger'] {
  const hint = alarmHint(event);
  return hint ? { kind: 'alarm', alarm: hint.alarm } : { kind: 'schedule' };
}

/** Where the fan-out puts each cluster's tick: the FIFO queue, paced over the minute. */
export interface TickQueue {
  send(messages: readonly TickMessage[]): Promise<void>;
}

export async function handleTickEvent(deps: Deps, event: TickEvent, now: number): Promise<TickResult[]> {
  const clusters = await deps.store.listClusters();
  await fileAlarmReport(deps, event, clusters, now);
  return runTick(deps, triggerOf(event), {}, clusters);
}

/** The schedule or an alarm on AWS: the listing once, then one message per cluster to tick (only the
 * alarm's cluster when it names one of ours: the others have nothing new to see). */
export async function fanOutTickEvent(deps: Deps, event: TickEvent, now: number, queue: TickQueue): Promise<{ readonly queued: readonly string[] }> {
  const clusters = await deps.store.listClusters();
  const named = await fileAlarmReport(deps, event, clusters, now);
  const queued = named ? [named] : clusters;
  const trigger = triggerOf(event);
  await queue.send(queued.map((cluster) => ({ cluster, trigger, at: event.time })));
  deps.log.info(`${trigger.kind}: ${queued.length} cluster ticks queued`, { clusters: queued.length, trigger: trigger.kind });
  return { queued };
}

/** Which cluster of ours runs each instance (EC2: its tags, one DescribeInstances); an instance of
 * no cluster of ours is left out. */
export interface InstanceOwners {
  ownersOf(instanceIds: readonly string[]): Promise<ReadonlyMap<string, { readonly cluster: string; readonly serverId: ServerId }>>;
}

/** Without EC2 tags to read (local mode): each cluster's fleet is listed and searched. */
export function fleetOwners(deps: Deps): InstanceOwners {
  return {
    async ownersOf(instanceIds) {
      const owners = new Map<string, { cluster: string; serverId: ServerId }>();
      for (const cluster of await deps.store.listClusters()) {
        const ports = await deps.portsFor(cluster, await deps.store.readSpec(cluster));
        for (const i of await ports.fleet.list()) if (instanceIds.includes(i.instanceId)) owners.set(i.instanceId, { cluster, serverId: i.serverId });
      }
      return owners;
    },
  };
}

/**
 * An EC2 or Health event about instances: each instance of ours wakes its own cluster's tick, through
 * the queue when there is one (the same group, so under the same order and lease), else ticked here.
 * A notice (Spot interruption, rebalance recommendation, scheduled retirement or stop) first files a
 * replace request naming it and its deadline: the tick replaces the server while it still runs,
 * successor first. An instance gone needs no request: the fleet lists it stopped or terminated, and
 * the tick fails it at once. An instance of no cluster of ours is logged and changes nothing.
 */
export async function handleInstanceEvent(
  deps: Deps,
  event: InstanceEvent,
  now: number,
  options: { readonly owners: InstanceOwners; readonly queue?: TickQueue },
): Promise<{ readonly clusters: readonly string[]; readonly results: readonly TickResult[] }> {
  const { instanceIds, wake, notice, gone } = instanceEventFacts(event);
  const owners = await options.owners.ownersOf(instanceIds);
  const known = new Set(await deps.store.listClusters());
  const ours = [...owners].filter(([instanceId, owner]) => {
    if (known.has(owner.cluster)) return true;
    deps.log.warn(`${wake}: instance ${instanceId} names cluster ${owner.cluster}, which has no spec here: ignored`, { instanceId, cluster: owner.cluster });
    return false;
  });
  for (const id of instanceIds.filter((i) => !owners.has(i))) deps.log.info(`${wake}: instance ${id} is in no cluster of ours: ignored`, { instanceId: id });
  if (notice) {
    const reason = clipText(notice.reason, TEXT_BYTES.reason);
    // Named after the notice: it may come again (at-least-once delivery, Health's updates), filing nothing new.
    const noticeDigest = createHash('sha256').update(notice.key).digest('hex').slice(0, 16);
    for (const [instanceId, { cluster, serverId }] of ours.filter(([id]) => notice.instanceIds.includes(id))) {
      const deadline = notice.deadline === undefined ? {} : { deadline: notice.deadline };
      await deps.store.addRequest(cluster, { id: `${NOTICE_REQUEST_PREFIX}${serverId}-${noticeDigest}`, kind: 'replace', serverId, instanceId, ...deadline, reason, at: now });
      deps.log.warn(`${wake}: replacement of server ${serverId} requested (${reason})`, { cluster, serverId, instanceId });
    }
  }
  const clusters = [...new Set(ours.map(([, owner]) => owner.cluster))];
  const triggerFor = (cluster: string): Trigger & TickMessage['trigger'] => {
    const going = ours.filter(([id, owner]) => owner.cluster === cluster && gone.includes(id)).map(([id]) => id);
    return { kind: 'instance', event: wake, ...(going.length > 0 ? { gone: going } : {}) };
  };
  if (options.queue) {
    await options.queue.send(clusters.map((cluster) => ({ cluster, trigger: triggerFor(cluster), at: event.time })));
    return { clusters, results: [] };
  }
  return { clusters, results: await Promise.all(clusters.map((cluster) => tickCluster(deps, cluster, triggerFor(cluster)))) };
}

/** Files the alarm's failure report when it names a server of one of our clusters; answers that cluster. */
async function fileAlarmReport(deps: Deps, event: TickEvent, clusters: readonly string[], now: number): Promise<string | undefined> {
  const hint = alarmHint(event);
  if (hint?.state !== 'ALARM' || hint.cluster === undefined || hint.serverId === undefined) return undefined;
  if (!clusters.includes(hint.cluster)) {
    deps.log.warn(`alarm ${hint.alarm} names cluster ${hint.cluster}, which has no spec here: no report filed`, { cluster: hint.cluster, serverId: hint.serverId, alarm: hint.alarm });
    return undefined;
  }
  const reason = clipText(`${hint.alarm}: ${hint.reason}`, TEXT_BYTES.reason);
  await deps.store.addRequest(hint.cluster, { id: `alarm-${hint.serverId}-${now}`, kind: 'report', serverId: hint.serverId, reason, at: now });
  deps.log.warn('alarm names a server: failure report filed', { cluster: hint.cluster, serverId: hint.serverId, alarm: hint.alarm });
  return hint.cluster;
}

/** A cluster's tick did not end before the batch had to answer: reported as that message's failure
 * (SQS delivers it again, then to the dead-letter queue), while the batch's other clusters answer. */
export class TickOverdueError extends ControllerError {
  readonly kind = 'transient';
  constructor(cluster: string, deadlineMs: number) {
    super(`tick of ${cluster} still running after ${deadlineMs} ms: reported as failed, the other clusters of the batch answered`, { cluster, deadlineMs });
    this.name = 'TickOverdueError';
  }
}

/** A message not processed because an earlier message of its cluster in the batch failed: SQS FIFO
 * keeps a group's order only if the later messages are returned too. */
export class TickSkippedError extends ControllerError {
  readonly kind = 'transient';
  constructor(group: string, messageId: string) {
    super(`message ${messageId} not run: an earlier message of its group ${group} in this batch failed`, { group, messageId });
    this.name = 'TickSkippedError';
  }
}

export interface MessageOutcome {
  readonly messageId: string;
  readonly cluster?: string;
  readonly result?: TickResult;
  /** Set when the message is reported back to SQS as failed. */
  readonly failure?: ControllerError;
}

/**
 * While a member's replacement is on its way (launched, booting, syncing), the cluster is ticked
 * again every `everyMs`, up to `forMs` after the replacement started, instead of leaving the swap to
 * the next minute's tick: on EC2 a joiner syncs about a minute after its launch, and the swap then
 * follows within seconds. A follow-up is a message of its own on the cluster's group, due at a mark
 * of the `everyMs` grid (so follow-ups queued by two ticks share a deduplication id), which the
 * consumer holds until it is due: whatever else shares its batch waits seconds, never the whole
 * follow-up. Background work (a spare, a scale-out) waits for the schedule.
 */
export interface FollowUp {
  readonly everyMs: number;
  readonly forMs: number;
}

export const FOLLOW_UP: FollowUp = { everyMs: 5_000, forMs: 90_000 };

/** Room left for a tick before the deadline: a follow-up is not waited for past this. */
const FOLLOW_UP_TICK_ALLOWANCE_MS = 10_000;

/** When the follow-up of a tick at `now` is due: the first mark of the `everyMs` grid at least half
 * a step away (about `everyMs` on average). */
export function followUpDue(now: number, followUp: FollowUp): number {
  return Math.ceil((now + followUp.everyMs / 2) / followUp.everyMs) * followUp.everyMs;
}

/** The step launched a member's replacement or waits on it: worth looking again in seconds. */
export function awaitsReplacement(step: Step | undefined, operation: Operation | undefined): boolean {
  if (operation?.kind !== 'replace') return false;
  return step?.kind === 'launch' || (step?.kind === 'wait' && (step.blockedBy === 'joiner-starting' || step.blockedBy === 'joiner-syncing'));
}

/** A batch from the FIFO queue: clusters side by side, a cluster's messages in order; each record
 * parsed on its own. A message fails (and SQS delivers it again, then dead-letters it) when it is
 * malformed, when its tick failed in a way the next tick would too (invalid input, access, unsafe),
 * or when its tick is still running at `deadlineMs`; a failure never holds up another cluster's
 * messages. */
export async function handleTickMessages(deps: Deps, event: unknown, options: { readonly deadlineMs: number; readonly followUp?: FollowUp; readonly queue?: TickQueue }): Promise<MessageOutcome[]> {
  const deadlineAt = Date.now() + options.deadlineMs;
  const { Records: ids } = parseOrThrow(SqsEventSchema, event, 'SQS event');
  const records = (event as { Records: unknown[] }).Records;
  const groups = new Map<string, { id: string; records: { index: number; messageId: string; record: unknown }[] }>();
  records.forEach((record, index) => {
    const messageId = ids[index]?.messageId ?? '';
    const group = (record as { attributes?: { MessageGroupId?: unknown } }).attributes?.MessageGroupId;
    // A record without a group is a group of its own: parsing will refuse it.
    const id = typeof group === 'string' ? group : `(none: ${messageId})`;
    const entry = groups.get(id) ?? { id, records: [] };
    entry.records.push({ index, messageId, record });
    groups.set(id, entry);
  });
  // The groups are the batch's clusters (the fan-out's MessageGroupId): their fleets share one listing.
  deps.prepareListing?.([...groups.keys()].filter((id) => ClusterNameSchema.safeParse(id).success));
  const followUp = options.followUp && options.queue ? { ...options.followUp, queue: options.queue } : undefined;
  const outcomes: MessageOutcome[] = new Array<MessageOutcome>(records.length);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      let failed = false;
      for (const { index, messageId, record } of group.records) {
        // A later message of the group ticks again anyway: only the last one queues a follow-up.
        const last = messageId === group.records.at(-1)?.messageId;
        const outcome: MessageOutcome = failed ? { messageId, failure: new TickSkippedError(group.id, messageId) } : await tickMessage(deps, messageId, record, deadlineAt, last ? followUp : undefined);
        outcomes[index] = outcome;
        failed ||= outcome.failure !== undefined;
      }
    }),
  );
  return outcomes;
}

const POISON = new Set(['invalid-input', 'access', 'unsafe']);

async function tickMessage(deps: Deps, messageId: string, record: unknown, deadlineAt: number, followUp: (FollowUp & { readonly queue: TickQueue }) | undefined): Promise<MessageOutcome> {
  let message: TickMessage;
  try {
    message = parseTickRecord(record);
  } catch (err) {
    const failure = toControllerError(err);
    deps.log.error(`tick message refused: ${failure.message}`, { messageId, error: failure });
    return { messageId, failure };
  }
  const { cluster } = message;
  const trigger: Trigger = message.trigger;
  if (trigger.kind === 'follow-up') {
    // Held until due (SQS FIFO has no per-message delay), but never past the room a tick needs.
    const holdMs = Math.min(Date.parse(message.at), deadlineAt - FOLLOW_UP_TICK_ALLOWANCE_MS) - Date.now();
    if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
  }
  const budgetMs = deadlineAt - Date.now();
  const result = await tickBefore(deps, cluster, trigger, deadlineAt);
  if (!result) {
    const failure = new TickOverdueError(cluster, budgetMs);
    deps.log.error(failure.message, { cluster, messageId });
    return { messageId, cluster, failure };
  }
  if (followUp) {
    // Past its own mark, even when run early for the deadline: the same mark would be deduplicated away.
    const due = followUpDue(trigger.kind === 'follow-up' ? Math.max(Date.now(), Date.parse(message.at)) : Date.now(), followUp);
    const operation = result.thought?.state.operation;
    // Bounded by the replacement's start, not by the message: every tick that queues one agrees.
    const awaits = operation !== undefined && (result.outcome === 'acted' || result.outcome === 'waited') && awaitsReplacement(result.step, operation) && due < operation.startedAt + followUp.forMs;
    // EC2 said an instance is going away but still lists it running (its listing lags the event by
    // seconds): one look again, which then fails its server at once, instead of missed probes.
    const lags = trigger.kind === 'instance' && (trigger.gone ?? []).some((id) => result.observation?.instances.some((i) => i.instanceId === id && (i.state === 'running' || i.state === 'pending')));
    // The schedule is the safety net: a follow-up not queued costs seconds, not the heal.
    if (awaits || lags) {
      await followUp.queue.send([{ cluster, trigger: { kind: 'follow-up' }, at: new Date(due).toISOString() }]).catch((err: unknown) => deps.log.warn(`follow-up of ${cluster} not queued: ${toControllerError(err).message}`, { cluster }));
    }
  }
  // A transient failure or a conflict is the next minute's to retry; what a retry cannot fix
  // (a bad spec, refused access, an unsafe picture) is reported, so it ends in the dead-letter queue.
  const failed = result.outcome === 'failed' && result.error !== undefined && POISON.has(result.error.kind);
  return { messageId, cluster, result, ...(failed ? { failure: result.error } : {}) };
}

/** The cluster's tick, or undefined when it is still running at `deadlineAt`. */
async function tickBefore(deps: Deps, cluster: string, trigger: Trigger, deadlineAt: number): Promise<TickResult | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadlineAt - Date.now()));
  });
  try {
    return await Promise.race([tickCluster(deps, cluster, trigger), overdue]);
  } finally {
    clearTimeout(timer);
  }
}

/** A tick's results as plain JSON (config versions in hex), for a Lambda response. */
export function tickSummary(results: readonly TickResult[]): Record<string, unknown>[] {
  return results.map((r) => ({
    cluster: r.cluster,
    tickId: r.tickId,
    outcome: r.outcome,
    why: r.why,
    step: r.step?.kind,
    reports: r.reports.length,
    ...(r.error ? { error: { name: r.error.name, kind: r.error.kind, message: r.error.message } } : {}),
    durationMs: r.durationMs,
  }));
}
