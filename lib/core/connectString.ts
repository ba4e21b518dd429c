import type { ClusterSpec } from '../config/spec.js';
import type { MemberProbe } from './health.js';
import type { EnsembleConfig } from './model.js';
import { syncedIds } from './quorum.js';
import { seededRng, seedOf } from './rng.js';
import { pickSeveral, STRATEGIES, type Candidate } from './strategies/index.js';

// The connect strings the controller publishes. ZooKeeper clients shuffle their hosts, so order
// balances nothing: what balances is WHICH servers a new client is given. The strategy picks K
// serving members (all when K is 0); the read-mostly string lists observers first.

export interface ConnectStrings {
  readonly clients: string;
  readonly readMostly: string;
  /** Round-robin's position after this pick. */
  readonly cursor: number;
}

export function connectStrings(spec: ClusterSpec, config: EnsembleConfig, probes: readonly MemberProbe[], cursor: number): ConnectStrings {
  const synced = syncedIds(probes);
  const serving = config.members.filter((m) => synced.has(m.serverId));
  const pool = serving.length > 0 ? serving : config.members;
  const address = new Map(pool.map((m) => [String(m.serverId), `${m.clientHost}:${m.clientPort}`]));
  const candidates: Candidate[] = pool.map((m) => {
    const probe = probes.find((p) => p.serverId === m.serverId);
    const h = probe?.result.status === 'serving' ? probe.result.health : undefined;
    return { key: String(m.serverId), outstandingRequests: h?.outstandingRequests ?? 0, connections: h?.connections ?? 0, avgLatencyMs: h?.latencyMs.avg ?? 0 };
  });
  const size = spec.connectStringSize === 0 ? candidates.length : Math.min(spec.connectStringSize, candidates.length);
  const picked = pickSeveral(STRATEGIES[spec.strategies.connectString], candidates, size, {
    purpose: 'serve',
    rng: seededRng(seedOf(`${spec.cluster}:${config.version}:${cursor}`)),
    cursor,
  });
  const observers = new Set(pool.filter((m) => m.role === 'observer').map((m) => String(m.serverId)));
  const readMostly = [...picked.chosen].sort((a, b) => Number(observers.has(b.key)) - Number(observers.has(a.key)));
  const render = (chosen: readonly Candidate[]): string => chosen.map((c) => address.get(c.key)).join(',');
  return { clients: render(picked.chosen), readMostly: render(readMostly), cursor: picked.cursor };
}
