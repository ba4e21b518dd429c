import type { LeaderView, ServerHealth, ServerMode } from '../core/health.js';
import { InvalidInputError } from '../errors.js';
import { MODES, type SrvrStats } from './srvr.js';

// `mntr` (4lw: `zk_key<TAB>value` lines; AdminServer `/commands/monitor`: the same keys without
// `zk_`, as JSON) joined with `srvr` into one validated ServerHealth. The key set varies with role,
// traffic and version, so nothing but the keys we read is required, and unknown keys are kept.

const MAX_KEYS = 5000;

/** `zk_key\tvalue` lines into a map; a line without a tab, or a duplicate key, is an error. */
export function parseMntr(text: string, source: string): Map<string, string> {
  const values = new Map<string, string>();
  const issues: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    const key = tab < 0 ? '' : line.slice(0, tab);
    if (!/^zk_[A-Za-z0-9_.-]+$/.test(key)) {
      issues.push(`line ${i + 1}: expected "zk_<key><TAB><value>" (got ${JSON.stringify(line.slice(0, 80))})`);
    } else if (values.has(key)) issues.push(`${key}: listed twice`);
    else values.set(key, line.slice(tab + 1).trim());
  });
  if (values.size > MAX_KEYS) issues.push(`${values.size} keys, more than ${MAX_KEYS}`);
  if (issues.length > 0) throw new InvalidInputError(source, issues.slice(0, 10));
  return values;
}

/** The AdminServer's `/commands/monitor` JSON, as the same `zk_` map. */
export function monitorJsonToMntr(json: unknown, source: string): Map<string, string> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidInputError(source, ['(root): expected a JSON object']);
  }
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    if (key === 'command' || key === 'error') continue;
    if (value === null || typeof value === 'object') continue; // nested summaries: not health
    values.set(`zk_${key}`, String(value));
  }
  return values;
}

export function healthFrom(srvr: SrvrStats, mntr: ReadonlyMap<string, string>, source: string): ServerHealth {
  const issues: string[] = [];
  const used = new Set<string>();
  const text = (key: string, required: boolean): string | undefined => {
    used.add(key);
    const value = mntr.get(key);
    if (value === undefined && required) issues.push(`${key}: missing`);
    return value;
  };
  const integer = (key: string, required = true): number | undefined => {
    const value = text(key, required);
    if (value === undefined) return undefined;
    if (!/^-?\d{1,18}$/.test(value)) {
      issues.push(`${key}: not a whole number (got ${JSON.stringify(value.slice(0, 40))})`);
      return undefined;
    }
    return Number(value);
  };
  const decimal = (key: string): number | undefined => {
    const value = text(key, true);
    if (value === undefined) return undefined;
    if (!/^-?\d{1,18}(\.\d+)?([eE][-+]?\d+)?$/.test(value)) {
      issues.push(`${key}: not a number (got ${JSON.stringify(value.slice(0, 40))})`);
      return undefined;
    }
    return Number(value);
  };

  const state = text('zk_server_state', true);
  if (state !== undefined && !MODES.includes(state as ServerMode)) issues.push(`zk_server_state: unknown (got ${JSON.stringify(state)})`);
  if (state !== undefined && state !== srvr.mode && !(state === 'read-only' || srvr.mode === 'read-only')) {
    issues.push(`zk_server_state: ${JSON.stringify(state)} but srvr said Mode: ${srvr.mode} (the role changed between the two answers)`);
  }
  const leader = state === 'leader' ? leaderView(integer) : undefined;
  const health: ServerHealth = {
    mode: srvr.mode,
    version: text('zk_version', false) ?? srvr.version,
    zxid: srvr.zxid,
    peerState: text('zk_peer_state', false) ?? '',
    latencyMs: { min: integer('zk_min_latency') ?? 0, avg: decimal('zk_avg_latency') ?? 0, max: integer('zk_max_latency') ?? 0 },
    outstandingRequests: Math.max(0, integer('zk_outstanding_requests') ?? 0), // seen at -1, as srvr's Outstanding
    connections: integer('zk_num_alive_connections') ?? 0,
    packetsReceived: integer('zk_packets_received') ?? 0,
    packetsSent: integer('zk_packets_sent') ?? 0,
    znodeCount: integer('zk_znode_count') ?? 0,
    watchCount: integer('zk_watch_count', false) ?? 0,
    ephemeralsCount: integer('zk_ephemerals_count', false) ?? 0,
    approximateDataSizeBytes: integer('zk_approximate_data_size', false) ?? 0,
    openFileDescriptors: integer('zk_open_file_descriptor_count', false),
    maxFileDescriptors: integer('zk_max_file_descriptor_count', false),
    votersInConfig: integer('zk_quorum_size', false),
    leader,
    extra: Object.fromEntries([...mntr].filter(([key]) => !used.has(key))),
  };
  if (issues.length > 0) throw new InvalidInputError(source, issues);
  return health;
}

function leaderView(integer: (key: string, required?: boolean) => number | undefined): LeaderView {
  const syncedFollowers = integer('zk_synced_followers') ?? 0;
  const syncedNonVotingFollowers = integer('zk_synced_non_voting_followers') ?? 0;
  return {
    syncedFollowers,
    syncedNonVotingFollowers,
    syncedObservers: integer('zk_synced_observers') ?? 0,
    learners: integer('zk_learners', false) ?? 0,
    pendingSyncs: integer('zk_pending_syncs', false) ?? 0,
    syncedVoters: syncedFollowers - syncedNonVotingFollowers + 1,
  };
}
