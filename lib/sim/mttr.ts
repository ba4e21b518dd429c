import type { ClusterSpec } from '../config/spec.js';
import { initialState, type ControllerState } from '../config/state.js';
import { NO_REQUESTS, think, type Observation, type ServerId, type Step } from '../core/index.js';
import { awaitsReplacement, FOLLOW_UP, followUpDue } from '../controller/triggers.js';
import { ModelFleet, type FailureKind, type ModelOptions } from './modelFleet.js';

// The MTTR model on AWS, in milliseconds: one cluster's ticks as the deployment runs them (the
// schedule every minute, and an EC2 event waking the one cluster's tick a few seconds after an
// instance stops, is terminated or gets a notice), each tick the real core (`think`) against the
// model fleet on a clock of milliseconds. A tick observes when it starts and its step lands when
// it ends; ticks of one cluster never overlap (the queue's group and the lease keep them in order).
// A tick that launched a member's replacement or waits on it queues a follow-up due at the next mark
// of the FOLLOW_UP.everyMs grid (followUpDue), for up to FOLLOW_UP.forMs, as the tick function does
// (lib/controller/triggers.ts).
// One failure per run, some time into the schedule's minute; the run measures how long a voter of
// the config was down or not synced.

/** How long each part takes on AWS. Each figure's source is in AWS_TIMINGS. */
export interface AwsTimings {
  /** EC2 state change or notice -> the cluster's tick starts (EventBridge, the tick function's lookup of the owner, the FIFO queue). */
  readonly eventMs: number;
  /** A tick's observe and think: its step lands this long after the tick starts. */
  readonly tickMs: number;
  /** RunInstances -> the instance is running. */
  readonly launchMs: number;
  /** Running -> ZooKeeper answers: the OS boots, the user data runs, the JVM starts. */
  readonly bootMs: number;
  /** Answering -> synced with the leader (a snapshot or a diff of a small tree). */
  readonly syncMs: number;
  /** The swap reconfig sent -> committed, the new voter synced as a voter. */
  readonly swapMs: number;
  /** The schedule: every cluster ticks this often. */
  readonly scheduleMs: number;
}

/**
 * The timings assumed. AWS publishes no latency for an EC2 event's delivery or for an instance's
 * launch; where there is no figure of ours or AWS's, the assumption says so.
 */
export const AWS_TIMINGS: AwsTimings = {
  // Assumed: EC2 sends the state-change event "when the state of an instance changes" and the Spot
  // warning two minutes ahead (docs/aws-facts.md §11) but names no delivery latency; 5 s covers
  // EventBridge, the tick function's DescribeInstances for the owner and the FIFO queue's hop.
  eventMs: 5_000,
  // A tick on the AWS test world: a killed voter healed in 9.2 s over 6 ticks 200 ms apart
  // (BENCHMARKS.md, 2026-12-01), about 1.3 s a tick; 1.5 s taken.
  tickMs: 1_500,
  // [2nd] RunInstances 1.5 s + pending -> running 4.9 s (c5.xlarge, daemonology.net 2021); pending
  // -> running about 16.5 s whatever the type (brevdev/ec2-coldboot-research); 20 s taken.
  launchMs: 20_000,
  // [2nd] running -> sshd answers in about 23 s (17.2 + 5.6 s, daemonology.net 2021), then
  // ZooKeeper's JVM; 25 s taken.
  bootMs: 25_000,
  // Assumed: a new JVM synced as a non-voting follower in 0.79 s on an idle ensemble
  // (docs/zookeeper-facts.md); 5 s allows a snapshot of a modest tree.
  syncMs: 5_000,
  // The swap reconfig commits in 14-28 ms, the leader reports the new voter synced 0.10-0.14 s
  // after (docs/zookeeper-facts.md); 0.2 s taken.
  swapMs: 200,
  // EventBridge's finest schedule, rate(1 minute) (docs/aws-facts.md §4).
  scheduleMs: 60_000,
};

/** The minute simulator's fleet for these timings: whole ticks from launch to answering, and to synced. */
export function minuteModel(t: AwsTimings): ModelOptions {
  const launchTicks = Math.ceil((t.launchMs + t.bootMs) / t.scheduleMs);
  return { launchTicks, syncTicks: Math.ceil((t.launchMs + t.bootMs + t.syncMs) / t.scheduleMs) - launchTicks };
}

export interface MttrRun {
  readonly spec: ClusterSpec;
  readonly timings: AwsTimings;
  /** EC2 stops or terminates the instance (an event wakes the tick), the server hangs (probes only),
   * or a notice: a replace request at once, the instance terminated `noticeLeadMs` later. */
  readonly failure: FailureKind | 'notice';
  /** Which voter (by its place in the config) fails. */
  readonly victim: number;
  /** How long after a scheduled tick the failure comes. */
  readonly phaseMs: number;
  /** Spot's interruption warning comes two minutes ahead (docs/aws-facts.md §11). */
  readonly noticeLeadMs?: number;
  /** How long to go on ticking after the heal (to see what follows it: a spare launched again). */
  readonly settleMs?: number;
}

export interface MttrResult {
  /** How long a voter of the config was down or not synced (for a kill: from the kill to 3 synced voters again). */
  readonly voterMissingMs: number;
  /** Every step from the failure until the heal (and `settleMs` after), with when it landed (ms after the failure). */
  readonly steps: readonly { readonly atMs: number; readonly step: Step }[];
  readonly ticks: number;
}

/** Longer than any heal here: a hung server is failed after three missed one-minute probes. */
const HORIZON_MS = 30 * 60_000;

export function runMttr(run: MttrRun): MttrResult {
  const { spec, timings: t } = run;
  const ids: ServerId[] = Array.from({ length: spec.voters.desired }, (_, i) => i + 1);
  const fleet = new ModelFleet(spec, ids, { launchTicks: t.launchMs + t.bootMs, syncTicks: t.syncMs, msPerTick: 1 });
  let state: ControllerState = initialState(spec.cluster, ids.length + 1);
  let busyUntil = 0;
  let ticks = 0;
  const tick = (at: number, requests?: Observation['requests']): Step => {
    const start = Math.max(at, busyUntil);
    fleet.tick = start;
    const observed = fleet.observe();
    const thought = think(spec, state, requests ? { ...observed, requests } : observed, start);
    state = thought.state;
    fleet.tick = start + t.tickMs + (thought.step.kind === 'reconfig' ? t.swapMs : 0);
    fleet.apply(thought.step);
    busyUntil = fleet.tick;
    ticks++;
    return thought.step;
  };

  // Scheduled ticks until the cluster rests with its spares synced.
  let scheduled = 0;
  for (let rested = false; !rested; scheduled += t.scheduleMs) {
    if (scheduled > HORIZON_MS) throw new Error('the model cluster never came to rest before the failure');
    rested = tick(scheduled).kind === 'none' && state.spares.length === spec.hotSpares && state.operation === undefined;
  }
  ticks = 0;
  const voters = fleet.config.members.filter((m) => m.role === 'voter');
  const victim = (voters[run.victim % voters.length] as (typeof voters)[number]).serverId;
  const failedAt = scheduled - t.scheduleMs + run.phaseMs;
  const lead = run.noticeLeadMs ?? 120_000;
  const takenAt = run.failure === 'notice' ? failedAt + lead : failedAt;
  const requestAt = run.failure === 'notice' ? failedAt + t.eventMs : Number.POSITIVE_INFINITY;
  const wakes = [...(run.failure === 'hung' ? [] : [takenAt + t.eventMs]), ...(run.failure === 'notice' ? [requestAt] : [])];
  let requested = false;
  let missingSince: number | undefined;
  let missingMs = 0;
  const steps: { atMs: number; step: Step }[] = [];
  const account = (at: number): void => {
    const missing = fleet.votersMissing().length > 0;
    if (missing && missingSince === undefined) missingSince = at;
    if (!missing && missingSince !== undefined) {
      missingMs += at - missingSince;
      missingSince = undefined;
    }
  };

  let failed = false;
  let healedAt: number | undefined;
  const followUps: number[] = [];
  while (healedAt === undefined || fleet.tick - healedAt < (run.settleMs ?? 0)) {
    const nextScheduled = scheduled;
    const nextWake = Math.min(nextScheduled, ...wakes, ...followUps);
    // The failure (or the instance taken at its deadline) lands before a tick that starts after it.
    if (!failed && takenAt <= Math.max(nextWake, busyUntil)) {
      fleet.tick = takenAt;
      fleet.fail(victim, run.failure === 'hung' ? 'hung' : run.failure === 'notice' ? 'terminated' : run.failure);
      failed = true;
      account(takenAt);
    }
    const start = Math.max(nextWake, busyUntil);
    if (start - failedAt > HORIZON_MS) break;
    if (followUps.includes(nextWake)) followUps.splice(followUps.indexOf(nextWake), 1);
    else {
      if (nextWake === nextScheduled) scheduled += t.scheduleMs;
      else wakes.splice(wakes.indexOf(nextWake), 1);
    }
    const fresh: boolean = !requested && start >= requestAt;
    requested ||= fresh;
    const reason = `EC2 Spot interruption warning: instance taken in ${Math.round(lead / 1000)} s`;
    const step = tick(nextWake, fresh ? { ...NO_REQUESTS, replace: [victim], notices: { [victim]: { reason, deadline: requestAt + lead } } } : undefined);
    if (step.kind !== 'none' && step.kind !== 'wait') steps.push({ atMs: fleet.tick - failedAt, step });
    const followUpAt = followUpDue(fleet.tick, FOLLOW_UP);
    const operation = state.operation;
    if (operation && awaitsReplacement(step, operation) && followUpAt < operation.startedAt + FOLLOW_UP.forMs && !followUps.includes(followUpAt)) followUps.push(followUpAt);
    account(fleet.tick);
    if (healedAt === undefined && failed && missingSince === undefined && !fleet.config.members.some((m) => m.serverId === victim)) healedAt = fleet.tick;
  }
  if (missingSince !== undefined) missingMs += fleet.tick - missingSince;
  return { voterMissingMs: missingMs, steps, ticks };
}

export interface MttrSummary {
  readonly runs: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

/** Runs with the failure at every `stepMs` of the schedule's minute, each voter in turn. */
export function mttrOver(base: Omit<MttrRun, 'phaseMs' | 'victim'>, stepMs = 2_000): { readonly summary: MttrSummary; readonly results: readonly MttrResult[] } {
  const results: MttrResult[] = [];
  for (let phase = 0; phase < base.timings.scheduleMs; phase += stepMs) {
    for (let victim = 0; victim < base.spec.voters.desired; victim++) results.push(runMttr({ ...base, phaseMs: phase, victim }));
  }
  const sorted = results.map((r) => r.voterMissingMs).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { summary: { runs: results.length, medianMs, maxMs: sorted.at(-1) ?? 0 }, results };
}
