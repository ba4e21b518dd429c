import { syncedIds, voterIds, type Observation, type Thought } from '../core/index.js';
import type { TickMetrics } from '../ports/index.js';

/** The figures a tick publishes: per server and for the ensemble. */
export function tickMetrics(cluster: string, at: number, observation: Observation, thought: Thought): TickMetrics {
  const members = observation.config.readable ? observation.config.config.members : [];
  const voters = voterIds(members);
  const synced = syncedIds(observation.probes);
  const votersSynced = [...voters].filter((id) => synced.has(id)).length;
  const spares = thought.decision.spares.kept;
  const servers = observation.probes.map((p) => {
    const h = p.result.status === 'serving' ? p.result.health : undefined;
    const member = members.find((m) => m.serverId === p.serverId);
    return {
      serverId: p.serverId,
      healthy: thought.detection.verdicts.get(p.serverId)?.status === 'healthy',
      role: h ? (h.mode === 'follower' && !member ? (spares.includes(p.serverId) ? 'spare' : 'joiner') : h.mode) : p.result.status,
      avgLatencyMs: h?.latencyMs.avg ?? 0,
      outstandingRequests: h?.outstandingRequests ?? 0,
      connections: h?.connections ?? 0,
      packetsReceived: h?.packetsReceived,
      zxid: h ? h.zxid.toString(16) : '',
    };
  });
  const healthy = servers.filter((s) => s.healthy);
  const total = (figure: (s: (typeof servers)[number]) => number): number => healthy.reduce((sum, s) => sum + figure(s), 0);
  return {
    cluster,
    at,
    voters: voters.size,
    votersSynced,
    observers: members.length - voters.size,
    // Voters that may still fail before the quorum is lost (negative: already lost).
    quorumMargin: votersSynced - (Math.floor(voters.size / 2) + 1),
    operationInFlight: thought.state.operation !== undefined,
    failedMembers: [...thought.detection.verdicts.values()].filter((v) => v.status === 'failed').length,
    spares: spares.length,
    sparesReady: spares.filter((id) => synced.has(id)).length,
    observerShortfall: Math.max(0, thought.decision.observers.desired - thought.decision.observers.current),
    launchFailures: thought.state.launchFailures?.count ?? 0,
    load: {
      connections: total((s) => s.connections),
      avgLatencyMs: healthy.length ? total((s) => s.avgLatencyMs) / healthy.length : 0,
      outstandingRequests: total((s) => s.outstandingRequests),
    },
    servers,
  };
}

