import type { ControllerState, Operation, RetiredId } from '../config/state.js';
import { hexVersion, MIN_SERVER_ID, type EnsembleConfig, type ServerId } from './model.js';
import type { Instance, Observation, SessionsObservation } from './observation.js';

// Which server id a new server gets. Ids are 1..254 and come back, but only when ZooKeeper cannot
// tell a reused id from a fresh one (docs/design.md, safety rule 7; zookeeper-facts.md, ours):
// - membership: not in the committed config, no reconfig in flight, and a write committed since it
//   was removed (the config's version or a serving server's zxid past the version its removal was
//   first seen at);
// - instances: every instance ever tagged with it terminated and no longer listed (a stopped one
//   would come back as a second server with that id; a terminated one still listed, EC2 lists them
//   for about an hour, would be taken for its successor's by the step that follows a launch);
// - sessions: no live global session whose top byte is the id (a server seeds session ids as
//   `id << 56 | elapsed_ms << 16` from a clock that starts near boot, so a successor re-walks its
//   predecessor's ids), as the leader lists them;
// - tokens: each operation id carries its start time, so a launch with a reused id never sends an
//   earlier launch's EC2 ClientToken.
// A joiner rolled back before it synced never served a client, so it created no session and its
// id comes back as soon as its instance is gone, and EC2's listing has had time to show a launch
// that went through after all (LISTING_LAG_MS).
// Pure: from what the tick observed and the small record of retired ids the state keeps.

/** The highest id handed out: a server started with `zookeeper.extendedTypesEnabled` refuses ids
 * above 254 (EphemeralType.validateServerId), whose session ids would read as extended types. */
export const MAX_ALLOCATED_SERVER_ID = 254;

/** How long a launch may take to show in the fleet's listing (EC2 reads are eventually consistent):
 * a joiner rolled back because it was not listed may be running after all. */
export const LISTING_LAG_MS = 10 * 60_000;

export interface IdInputs {
  readonly config: EnsembleConfig;
  readonly instances: readonly Instance[];
  /** The highest zxid a serving server reported: every transaction up to it has committed. */
  readonly committedZxid: bigint;
  readonly sessions: SessionsObservation | undefined;
  readonly nextServerId: number;
  readonly retiredIds: readonly RetiredId[];
  readonly operation: Operation | undefined;
  readonly now: number;
}

/** What keeps an id from being handed out. */
export type Hold =
  | { readonly kind: 'member' }
  | { readonly kind: 'operation' }
  | { readonly kind: 'reconfig-in-flight' }
  | { readonly kind: 'instance'; readonly instanceId: string; readonly state: Instance['state'] }
  | { readonly kind: 'rolled-back-recently' }
  | { readonly kind: 'no-write-since-removal'; readonly configVersion: string }
  | { readonly kind: 'sessions-unread' }
  | { readonly kind: 'sessions-unreadable'; readonly reason: string }
  | { readonly kind: 'live-sessions'; readonly count: number; readonly example: string };

export type Allocation =
  /** `sessionsWanted`: a lower id might be free if the leader's sessions were read. */
  | { readonly kind: 'chosen'; readonly serverId: ServerId; readonly reused: boolean; readonly sessionsWanted: boolean }
  | { readonly kind: 'none'; readonly sessionsWanted: boolean; readonly why: string };

/** The inputs as a tick sees them, in `state`, the state the new operation starts from. */
export function idInputs(observed: Observation, config: EnsembleConfig, state: ControllerState, now: number): IdInputs {
  const zxids = observed.probes.flatMap((p) => (p.result.status === 'serving' ? [p.result.health.zxid] : []));
  return {
    config,
    instances: observed.instances,
    committedZxid: zxids.reduce((a, b) => (b > a ? b : a), 0n),
    sessions: observed.sessions,
    nextServerId: state.nextServerId,
    retiredIds: state.retiredIds,
    operation: state.operation,
    now,
  };
}

/** Ids from here up were never handed out nor seen: neither in the config nor on an instance. */
export function firstUnusedId(x: Pick<IdInputs, 'config' | 'instances' | 'nextServerId'>): ServerId {
  return Math.max(x.nextServerId, ...x.config.members.map((m) => m.serverId + 1), ...x.instances.map((i) => i.serverId + 1));
}

/** Every condition that holds `id` back now; none means it may be handed out. */
export function holdsOn(id: ServerId, x: IdInputs): Hold[] {
  const holds: Hold[] = [];
  if (x.config.members.some((m) => m.serverId === id)) holds.push({ kind: 'member' });
  const op = x.operation;
  if (op && (op.serverId === id || (op.kind === 'replace' && op.replaces === id))) holds.push({ kind: 'operation' });
  for (const i of x.instances) if (i.serverId === id) holds.push({ kind: 'instance', instanceId: i.instanceId, state: i.state });
  const record = x.retiredIds.find((r) => r.serverId === id);
  if (record && 'configVersion' in record) {
    const removedAt = BigInt(`0x${record.configVersion}`);
    if (x.config.version <= removedAt && x.committedZxid <= removedAt) holds.push({ kind: 'no-write-since-removal', configVersion: record.configVersion });
  }
  if (id >= firstUnusedId(x)) {
    // Never handed out as far as the state and the fleet know; sessions, when read, know better (a
    // launch whose state was lost, a server from before the controller).
    if (x.sessions?.readable) holds.push(...sessionHolds(id, x.sessions));
    return holds;
  }
  if (op?.step === 'reconfiguring') holds.push({ kind: 'reconfig-in-flight' });
  if (record && 'since' in record) {
    // Never served: no session to read, no write to wait for. Sessions read anyway still count (a
    // state write lost after a launch leaves a record older than the server that served).
    if (x.now - record.since < LISTING_LAG_MS) holds.push({ kind: 'rolled-back-recently' });
    if (x.sessions?.readable) holds.push(...sessionHolds(id, x.sessions));
    return holds;
  }
  holds.push(...sessionHolds(id, x.sessions));
  return holds;
}

function sessionHolds(id: ServerId, sessions: SessionsObservation | undefined): Hold[] {
  if (!sessions) return [{ kind: 'sessions-unread' }];
  if (!sessions.readable) return [{ kind: 'sessions-unreadable', reason: sessions.reason }];
  const own = sessions.sessionIds.filter((s) => sessionOwner(s) === id);
  const [first] = own;
  return first === undefined ? [] : [{ kind: 'live-sessions', count: own.length, example: `0x${first.toString(16)}` }];
}

/** The id of the server that created a session: its top byte (`>>> 56`, never a sign). */
export function sessionOwner(sessionId: bigint): number {
  return Number(BigInt.asUintN(64, sessionId) >> 56n);
}

/** The lowest id nothing holds back, or why there is none. */
export function allocateServerId(x: IdInputs): Allocation {
  const held = new Map<ServerId, Hold[]>();
  let sessionsWanted = false;
  // Without the leader's sessions, an id that needs them is passed over (the caller may read them
  // and ask again: `sessionsWanted`), never guessed free.
  for (let id = MIN_SERVER_ID; id <= MAX_ALLOCATED_SERVER_ID; id++) {
    const holds = holdsOn(id, x);
    if (holds.length === 0) return { kind: 'chosen', serverId: id, reused: id < firstUnusedId(x), sessionsWanted };
    if (holds.every((h) => h.kind === 'sessions-unread')) sessionsWanted = true;
    held.set(id, holds);
  }
  return { kind: 'none', sessionsWanted, why: `no server id of ${MIN_SERVER_ID}..${MAX_ALLOCATED_SERVER_ID} may be handed out: ${describeHolds(held)}` };
}

/** "1-3, 5 in the config; 4 has 2 live sessions (e.g. 0x4000...)": ids grouped by their first hold. */
function describeHolds(held: ReadonlyMap<ServerId, Hold[]>): string {
  // Grouped by what holds them, the first id's example standing for the group.
  const groups = new Map<string, { text: string; ids: ServerId[] }>();
  for (const [id, holds] of held) {
    const hold = holds[0] as Hold;
    const key = hold.kind === 'live-sessions' ? hold.kind : holdText(hold);
    const group = groups.get(key) ?? { text: holdText(hold), ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => `${ranges(g.ids)} ${g.text}`).join('; ');
}

function holdText(hold: Hold): string {
  switch (hold.kind) {
    case 'member':
      return 'in the config';
    case 'operation':
      return 'in the operation in flight';
    case 'reconfig-in-flight':
      return 'wait: a reconfig is in flight';
    case 'instance':
      return hold.state === 'terminated' ? 'on a terminated instance the fleet still lists' : `on an instance not terminated (${hold.state})`;
    case 'rolled-back-recently':
      return `rolled back less than ${LISTING_LAG_MS / 60_000} min ago (the fleet may list its launch late)`;
    case 'no-write-since-removal':
      return `removed, no write committed since (config version ${hold.configVersion})`;
    case 'sessions-unread':
      return "wait for the leader's session list";
    case 'sessions-unreadable':
      return `need the leader's session list, unreadable: ${hold.reason}`;
    case 'live-sessions':
      return `have live sessions of their predecessors (e.g. ${hold.example})`;
  }
}

/** "1-3, 5" */
function ranges(ids: readonly ServerId[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && (ids[j + 1] as number) === (ids[j] as number) + 1) j++;
    parts.push(j > i + 1 ? `${ids[i]}-${ids[j]}` : j === i + 1 ? `${ids[i]}, ${ids[j]}` : `${ids[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The records with `serverId` retired: served (its removal first seen at `servedUpTo`'s version)
 * or never served (at `now`). A record already there is kept: the first sighting is the safe one. */
export function retire(records: readonly RetiredId[], serverId: ServerId, now: number, servedUpTo: EnsembleConfig | undefined): RetiredId[] {
  if (records.some((r) => r.serverId === serverId)) return [...records];
  return [...records, servedUpTo ? { serverId, configVersion: hexVersion(servedUpTo.version) } : { serverId, since: now }];
}

/** The records still needed: an id back in the config or handed out again needs none, nor one whose
 * removal a write has passed (without a record a served id is judged by observation alone). */
export function retiredStillNeeded(records: readonly RetiredId[], x: Pick<IdInputs, 'config' | 'committedZxid' | 'operation'>): RetiredId[] {
  return records.filter((r) => {
    // Handed out again: a removal of that id (a rollback stopping its joiner) is no new holder.
    const handedOut = x.operation !== undefined && x.operation.kind !== 'remove' && x.operation.serverId === r.serverId;
    if (x.config.members.some((m) => m.serverId === r.serverId) || handedOut) return false;
    if (!('configVersion' in r)) return true;
    const removedAt = BigInt(`0x${r.configVersion}`);
    return x.config.version <= removedAt && x.committedZxid <= removedAt;
  });
}
