import type { ClusterSpec } from '../config/spec.js';
import { hexVersion, liveInstance, syncedIds, voterIds } from '../core/index.js';
import type { TickResult } from './tick.js';

// What `status` reports: the members with their role, zone, health, zxid lag and load, the operation in
// flight and its step, and the last decision with its sentence. Data only: the CLI renders it, the
// manual Lambda returns it as JSON.

export interface StatusView {
  readonly cluster: string;
  readonly paused: boolean;
  readonly configVersion: string | undefined;
  readonly voters: { readonly count: number; readonly synced: number; readonly desired: number };
  readonly observers: { readonly count: number; readonly desired: number };
  /** Hot spares kept (synced: ready to be swapped in) and how many the spec asks for. */
  readonly spares: { readonly count: number; readonly synced: number; readonly desired: number };
  readonly members: readonly {
    readonly serverId: number;
    readonly role: string;
    /** Where its instance runs (the fleet's zone), when the fleet lists it. */
    readonly zone: string | undefined;
    readonly mode: string;
    readonly health: string;
    readonly zxidLag: number | undefined;
    readonly avgLatencyMs: number | undefined;
    readonly connections: number | undefined;
    readonly outstanding: number | undefined;
    readonly evidence: string;
  }[];
  readonly operation: string | undefined;
  readonly decision: string;
  readonly step: string;
  readonly reports: readonly string[];
}

export function statusView(spec: ClusterSpec, result: TickResult): StatusView {
  const o = result.observation;
  const t = result.thought;
  const config = o?.config.readable ? o.config.config : undefined;
  const synced = o ? syncedIds(o.probes) : new Set<number>();
  const voters = config ? voterIds(config.members) : new Set<number>();
  const leaderZxid = o?.probes.reduce((max, p) => (p.result.status === 'serving' && p.result.health.mode === 'leader' ? p.result.health.zxid : max), 0n) ?? 0n;
  const op = t?.state.operation;
  const spares = t?.decision.spares.kept ?? [];
  return {
    cluster: result.cluster,
    paused: spec.paused,
    configVersion: config ? hexVersion(config.version) : undefined,
    voters: { count: voters.size, synced: [...voters].filter((id) => synced.has(id)).length, desired: t?.decision.voters.desired ?? spec.voters.desired },
    observers: { count: config ? config.members.length - voters.size : 0, desired: t?.decision.observers.desired ?? spec.observers.desired },
    spares: { count: spares.length, synced: spares.filter((id) => synced.has(id)).length, desired: spec.hotSpares },
    members: (o?.probes ?? [])
      .map((p) => {
        const member = config?.members.find((m) => m.serverId === p.serverId);
        const h = p.result.status === 'serving' ? p.result.health : undefined;
        const verdict = t?.detection.verdicts.get(p.serverId);
        return {
          serverId: p.serverId,
          role: member?.role ?? (op?.serverId === p.serverId ? 'joining' : spares.includes(p.serverId) ? 'spare' : 'outside'),
          zone: liveInstance(o?.instances ?? [], p.serverId)?.zone,
          mode: h?.mode ?? p.result.status,
          health: verdict?.status ?? 'unknown',
          zxidLag: h && leaderZxid > 0n ? Number(leaderZxid - h.zxid) : undefined,
          avgLatencyMs: h ? Math.round(h.latencyMs.avg * 10) / 10 : undefined,
          connections: h?.connections,
          outstanding: h?.outstandingRequests,
          evidence: verdict && verdict.status !== 'healthy' ? verdict.evidence : '',
        };
      })
      .sort((a, b) => a.serverId - b.serverId),
    operation: op ? `${op.id} (${op.why}); step ${op.step}` : undefined,
    decision: t ? `${t.decision.voters.why}; ${t.decision.observers.why}${spec.hotSpares > 0 || spares.length > 0 ? `; ${t.decision.spares.why}` : ''}` : result.why,
    step: result.step ? `${result.step.kind}: ${result.step.why}` : result.why,
    reports: (t?.detection.reports ?? []).map((r) => `${r.serverId !== undefined ? `server ${r.serverId} ` : ''}${r.kind} (${r.status}): ${r.evidence}`),
  };
}
