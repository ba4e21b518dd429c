import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState, MemberHealth, PendingReport } from '../config/state.js';
import type { MemberProbe, ProbeResult } from './health.js';
import { MAX_COUNT, MAX_PENDING_REPORTS, TEXT_BYTES } from './limits.js';
import type { ServerId } from './model.js';
import { liveInstance, type Observation } from './observation.js';
import { hasQuorum, leaderOf, syncedIds, voterIds } from './quorum.js';
import { clipText } from './text.js';

// Failure detection: heartbeat (k misses suspect, n misses failed; at once when the instance is
// gone), monitoring data (not serving, slow against the ensemble's median for w ticks) and failure
// reports from outside, which probes must corroborate. Every verdict carries its reason, evidence
// and the time it began.

export type VerdictStatus = 'healthy' | 'suspect' | 'failed';
export type FailureReason = 'missed-probes' | 'instance-gone' | 'not-serving' | 'slow' | 'reported';

export interface Verdict {
  readonly serverId: ServerId;
  readonly status: VerdictStatus;
  readonly reason?: FailureReason;
  /** The numbers behind the verdict, in a sentence. */
  readonly evidence: string;
  /** When the trouble began (ms). */
  readonly since?: number;
}

export type ClusterProblem = 'no-quorum' | 'config-unreadable' | 'election-storm';

/** What the operator reads first: logged, persisted, published as a metric. */
export interface FailureReport {
  readonly serverId?: ServerId;
  readonly kind: FailureReason | ClusterProblem;
  readonly status: VerdictStatus | 'cluster';
  readonly evidence: string;
  readonly since: number;
}

export interface Detection {
  readonly verdicts: ReadonlyMap<ServerId, Verdict>;
  readonly reports: readonly FailureReport[];
  /** The state's counters, clocks and pending reports after this tick. */
  readonly health: ControllerState['health'];
  readonly leader: ControllerState['leader'];
  readonly pendingReports: ControllerState['reports'];
}

/** External reports wait this long for probes to corroborate them. */
export const REPORT_TTL_MS = 15 * 60_000;

export function detect(spec: ClusterSpec, state: ControllerState, observed: Observation, now: number): Detection {
  const d = spec.detection;
  const previous = new Map(state.health.map((h) => [h.serverId, h]));
  const synced = syncedIds(observed.probes);
  const voters = observed.config.readable ? voterIds(observed.config.config.members) : new Set<ServerId>();
  const quorumServing = hasQuorum(voters, synced);
  const medians = ensembleMedians(observed.probes);
  const pendingReports = pending([...state.reports, ...observed.requests.reports], now);

  const verdicts = new Map<ServerId, Verdict>();
  const health: MemberHealth[] = [];
  for (const probe of observed.probes) {
    const before = previous.get(probe.serverId);
    // A server's live instance speaks for it, not an older terminated one EC2 still lists.
    const instance = liveInstance(observed.instances, probe.serverId) ?? observed.instances.find((i) => i.serverId === probe.serverId);
    const miss = missOf(probe.result, quorumServing);
    const misses = miss ? Math.min(MAX_COUNT, (before?.misses ?? 0) + 1) : 0;
    const missingSince = miss ? (before?.missingSince ?? now) : undefined;
    const missingLongEnough = missingSince !== undefined && now - missingSince >= d.failAfterSeconds * 1000;
    const slow = probe.result.status === 'serving' ? slowness(probe, medians, spec) : undefined;
    const slowTicks = slow ? Math.min(MAX_COUNT, (before?.slowTicks ?? 0) + 1) : 0;
    const slowSince = slow ? (before?.slowSince ?? now) : undefined;
    const reported = pendingReports.find((r) => r.serverId === probe.serverId);
    if (misses > 0 || slowTicks > 0) {
      health.push({
        serverId: probe.serverId,
        misses,
        slowTicks,
        ...(missingSince !== undefined ? { missingSince } : {}),
        ...(slowSince !== undefined ? { slowSince } : {}),
      });
    }

    let verdict: Verdict;
    // Stopping (EC2's stopping or shutting-down) only ever ends stopped or terminated: fail it now.
    if (instance && ['stopping', 'stopped', 'terminated', 'impaired'].includes(instance.state)) {
      verdict = { serverId: probe.serverId, status: 'failed', reason: 'instance-gone', evidence: `instance ${instance.instanceId} is ${instance.state}`, since: missingSince ?? now };
    } else if (misses >= d.failAfterMisses && missingLongEnough) {
      verdict = {
        serverId: probe.serverId,
        status: 'failed',
        reason: probe.result.status === 'not-serving' ? 'not-serving' : 'missed-probes',
        evidence: `missed ${misses} probes in a row over ${missingFor(missingSince, now)} (failed at ${d.failAfterMisses} and ${d.failAfterSeconds} s); last: ${miss}`,
        since: missingSince ?? now,
      };
    } else if (reported && misses >= d.suspectAfterMisses && missingLongEnough) {
      verdict = {
        serverId: probe.serverId,
        status: 'failed',
        reason: 'reported',
        evidence: `reported "${reported.reason}" and corroborated by ${misses} missed probes (suspect at ${d.suspectAfterMisses})`,
        since: reported.at,
      };
    } else if (slowTicks >= d.slowForTicks && slow && slowSince !== undefined && now - slowSince >= d.failAfterSeconds * 1000) {
      verdict = { serverId: probe.serverId, status: 'failed', reason: 'slow', evidence: `${slow} for ${slowTicks} ticks (failed at ${d.slowForTicks})`, since: slowSince ?? now };
    } else if (misses >= d.suspectAfterMisses) {
      verdict = {
        serverId: probe.serverId,
        status: 'suspect',
        reason: 'missed-probes',
        evidence: `missed ${misses} probes in a row over ${missingFor(missingSince, now)} (suspect at ${d.suspectAfterMisses}, failed at ${d.failAfterMisses} and ${d.failAfterSeconds} s); last: ${miss}`,
        since: missingSince ?? now,
      };
    } else if (slow || reported || misses > 0) {
      const evidence = slow ? `${slow} for ${slowTicks} of ${d.slowForTicks} ticks` : reported ? `reported "${reported.reason}", not corroborated by probes yet` : `missed ${misses} probe(s); last: ${miss}`;
      verdict = { serverId: probe.serverId, status: 'suspect', reason: slow ? 'slow' : reported ? 'reported' : 'missed-probes', evidence, since: slowSince ?? reported?.at ?? missingSince ?? now };
    } else {
      verdict = { serverId: probe.serverId, status: 'healthy', evidence: 'serving' };
    }
    verdicts.set(probe.serverId, verdict);
  }

  const leader = trackLeader(state.leader, leaderOf(observed.probes), now, spec);
  const reports: FailureReport[] = [...verdicts.values()]
    .filter((v) => v.status !== 'healthy')
    .map((v) => ({ serverId: v.serverId, kind: v.reason ?? 'missed-probes', status: v.status, evidence: v.evidence, since: v.since ?? now }));
  if (!observed.config.readable) {
    reports.push({ kind: 'config-unreadable', status: 'cluster', evidence: observed.config.reason, since: now });
  } else if (!quorumServing) {
    reports.push({ kind: 'no-quorum', status: 'cluster', evidence: `${[...voters].filter((id) => synced.has(id)).length} of ${voters.size} voters serving`, since: now });
  }
  if (leader.changes.length >= d.electionStormChanges) {
    reports.push({
      kind: 'election-storm',
      status: 'cluster',
      evidence: `${leader.changes.length} leader changes in the last ${d.electionStormWindowSeconds} s (storm at ${d.electionStormChanges})`,
      since: leader.changes[0] ?? now,
    });
  }
  // A report is settled once the member it names is no longer probed (replaced, removed).
  const probed = new Set(observed.probes.map((p) => p.serverId));
  return { verdicts, reports, health, leader, pendingReports: pendingReports.filter((r) => probed.has(r.serverId)) };
}

/** Reports younger than REPORT_TTL_MS, the newest per server (an alarm that keeps firing keeps its
 * report alive), the newest MAX_PENDING_REPORTS servers: an alarm storm cannot grow the state. */
function pending(reports: readonly PendingReport[], now: number): PendingReport[] {
  const newest = new Map<number, PendingReport>();
  for (const r of reports) {
    if (now - r.at >= REPORT_TTL_MS) continue;
    const kept = newest.get(r.serverId);
    if (!kept || r.at >= kept.at) newest.set(r.serverId, { serverId: r.serverId, reason: clipText(r.reason, TEXT_BYTES.reason), at: r.at });
  }
  return [...newest.values()].sort((a, b) => a.at - b.at).slice(-MAX_PENDING_REPORTS);
}

/** Why this probe counts as a miss, or undefined. A member that is up but not serving counts only
 * while a quorum serves: without one, nobody serves, and that is the cluster's problem, not its. */
function missOf(result: ProbeResult, quorumServing: boolean): string | undefined {
  switch (result.status) {
    case 'serving':
      return undefined;
    case 'not-serving':
      return quorumServing ? 'not serving while a quorum serves' : undefined;
    case 'no-answer':
      return `no answer (${result.failure})`;
    case 'bad-answer':
      return `unreadable answer: ${result.detail.slice(0, 120)}`;
  }
}

interface Medians {
  readonly latencyMs: number;
  readonly outstanding: number;
}

function ensembleMedians(probes: readonly MemberProbe[]): Medians {
  const serving = probes.flatMap((p) => (p.result.status === 'serving' ? [p.result.health] : []));
  return { latencyMs: median(serving.map((h) => h.latencyMs.avg)), outstanding: median(serving.map((h) => h.outstandingRequests)) };
}

/** A sentence when the member is far slower than the ensemble's median, else undefined. */
function slowness(probe: MemberProbe, medians: Medians, spec: ClusterSpec): string | undefined {
  if (probe.result.status !== 'serving') return undefined;
  const h = probe.result.health;
  const d = spec.detection;
  if (h.latencyMs.avg > d.slowLatencyFloorMs && h.latencyMs.avg > d.slowFactor * medians.latencyMs) {
    return `avg latency ${h.latencyMs.avg} ms > ${d.slowFactor} x ensemble median ${medians.latencyMs} ms`;
  }
  if (h.outstandingRequests > d.slowOutstandingFloor && h.outstandingRequests > d.slowFactor * medians.outstanding) {
    return `${h.outstandingRequests} outstanding requests > ${d.slowFactor} x ensemble median ${medians.outstanding}`;
  }
  return undefined;
}

function trackLeader(before: ControllerState['leader'], observedLeader: ServerId | undefined, now: number, spec: ClusterSpec): ControllerState['leader'] {
  const windowStart = now - spec.detection.electionStormWindowSeconds * 1000;
  const changed = observedLeader !== undefined && before.serverId !== undefined && observedLeader !== before.serverId;
  // Only as many change times as make a storm are kept: enough to tell one, and the state stays small.
  const changes = [...before.changes, ...(changed ? [now] : [])].filter((t) => t >= windowStart).slice(-spec.detection.electionStormChanges);
  return { ...(observedLeader !== undefined ? { serverId: observedLeader } : before.serverId !== undefined ? { serverId: before.serverId } : {}), changes };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function missingFor(since: number | undefined, now: number): string {
  return `${Math.round((now - (since ?? now)) / 1000)} s`;
}
