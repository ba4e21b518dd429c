import type { ClusterSpec } from '../config/spec.js';
import type { MemberProbe } from './health.js';
import type { ConfigMember, EnsembleConfig } from './model.js';
import { syncedIds } from './quorum.js';
import { seededRng, seedOf } from './rng.js';
import { pickSeveral, STRATEGIES, type Candidate } from './strategies/index.js';

// The connect strings the controller publishes. ZooKeeper clients shuffle their hosts, so order
// balances nothing: what balances is WHICH servers a new client is given. The strategy picks K
// serving members (all when K is 0); the read-mostly string lists observers first. Both are
// rendered in a fixed order (by server id), and a published choice stands while every server in it
// still serves and K is unchanged: the strings change when membership does, not with every wiggle
// of load, so a steady cluster writes nothing.

export interface ConnectStrings {
  readonly clients: string;
  readonly readMostly: string;
}

export function connectStrings(spec: ClusterSpec, config: EnsembleConfig, probes: readonly MemberProbe[], cursor: number, published?: ConnectStrings): ConnectStrings {
  const synced = syncedIds(probes);
  const serving = config.members.filter((m) => synced.has(m.serverId));
  const pool = serving.length > 0 ? serving : config.members;
  const size = spec.connectStringSize === 0 ? pool.length : Math.min(spec.connectStringSize, pool.length);
  const chosen = stillValid(published, pool, size) ?? pick(spec, config, probes, cursor, pool, size);
  const byId = [...chosen].sort((a, b) => a.serverId - b.serverId);
  const readMostly = [...byId].sort((a, b) => Number(b.role === 'observer') - Number(a.role === 'observer'));
  return { clients: render(byId), readMostly: render(readMostly) };
}

/** The published choice, if it names exactly `size` servers of the pool. */
function stillValid(published: ConnectStrings | undefined, pool: readonly ConfigMember[], size: number): ConfigMember[] | undefined {
  if (!published) return undefined;
  const addresses = published.clients.split(',').filter((a) => a !== '');
  const members = addresses.map((a) => pool.find((m) => address(m) === a));
  const valid = members.filter((m): m is ConfigMember => m !== undefined);
  return valid.length === addresses.length && new Set(valid).size === size ? valid : undefined;
}

function pick(spec: ClusterSpec, config: EnsembleConfig, probes: readonly MemberProbe[], cursor: number, pool: readonly ConfigMember[], size: number): ConfigMember[] {
  const candidates: Candidate[] = pool.map((m) => {
    const probe = probes.find((p) => p.serverId === m.serverId);
    const h = probe?.result.status === 'serving' ? probe.result.health : undefined;
    return { key: String(m.serverId), outstandingRequests: h?.outstandingRequests ?? 0, connections: h?.connections ?? 0, avgLatencyMs: h?.latencyMs.avg ?? 0 };
  });
  const picked = pickSeveral(STRATEGIES[spec.strategies.connectString], candidates, size, {
    purpose: 'serve',
    rng: seededRng(seedOf(`${spec.cluster}:${config.version}:${cursor}`)),
    cursor,
  });
  return picked.chosen.map((c) => pool.find((m) => String(m.serverId) === c.key) as ConfigMember);
}

function address(m: ConfigMember): string {
  return `${m.clientHost}:${m.clientPort}`;
}

function render(members: readonly ConfigMember[]): string {
  return members.map(address).join(',');
}
