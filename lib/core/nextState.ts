import type { ControllerState } from '../config/state.js';
import { DOCUMENT_MAX_BYTES, MAX_PENDING_REPORTS, MAX_RETIRED_IDS, MAX_STORM_CHANGES, MAX_TRACKED_SERVERS, MAX_ZONES_AVOIDED, TEXT_BYTES } from './limits.js';
import type { ServerId } from './model.js';
import { clipText } from './text.js';

// The one owner of the next state's shape: detect, decide and plan say what changes, think()
// composes it, and this module holds it to its bounds, so what the tick persists always fits its
// 4 KB parameter, however many alarms, members and leader changes an incident brings.

/** The state within every bound of its schema: lists cut (most useful kept), texts clipped. */
export function boundState(state: ControllerState, members: ReadonlySet<ServerId>): ControllerState {
  // Evidence on members of the config comes first: a stray is stopped whatever its counters say.
  const health = [...state.health].sort((a, b) => Number(members.has(b.serverId)) - Number(members.has(a.serverId)) || a.serverId - b.serverId);
  return {
    ...state,
    ...(state.operation ? { operation: { ...state.operation, why: clipText(state.operation.why, TEXT_BYTES.why) } } : {}),
    health: health.slice(0, MAX_TRACKED_SERVERS),
    zonesAvoided: state.zonesAvoided.slice(-MAX_ZONES_AVOIDED).map((z) => ({ ...z, why: clipText(z.why, TEXT_BYTES.zoneWhy) })),
    leader: { ...state.leader, changes: state.leader.changes.slice(-MAX_STORM_CHANGES) },
    reports: state.reports.slice(-MAX_PENDING_REPORTS).map((r) => ({ ...r, reason: clipText(r.reason, TEXT_BYTES.reason) })),
    replaceRequests: state.replaceRequests.slice(0, MAX_TRACKED_SERVERS),
    retiredIds: boundRetired(state.retiredIds),
  };
}

/** At most MAX_RETIRED_IDS records. A never-served record goes first, the oldest first: without it
 * the id is judged as one that served, which only asks more. Removals awaiting a write number one at
 * a time (the next reconfig is such a write), so the cut never reaches them in practice. */
function boundRetired(records: ControllerState['retiredIds']): ControllerState['retiredIds'] {
  const kept = [...records];
  while (kept.length > MAX_RETIRED_IDS) {
    const neverServed = kept.findIndex((r) => 'since' in r);
    kept.splice(neverServed >= 0 ? neverServed : 0, 1);
  }
  return kept;
}

/** Bytes the state takes as stored. */
export function stateBytes(state: ControllerState): number {
  return Buffer.byteLength(JSON.stringify(state), 'utf8');
}

/**
 * The state cut until it takes at most `maxBytes`. Within the schema's bounds it always fits
 * DOCUMENT_MAX_BYTES (a property test proves it), so this is the last guard, never the plan: should
 * it ever bite, evidence goes first, the oldest first (reports, avoided zones, leader changes, then
 * the least established health records), never the operation or the ids handed out.
 */
export function fitState(state: ControllerState, maxBytes = DOCUMENT_MAX_BYTES): ControllerState {
  if (stateBytes(state) <= maxBytes) return state; // every tick: one measure, nothing cut
  let fitted = state;
  const cuts: ((s: ControllerState) => ControllerState | undefined)[] = [
    (s) => (s.reports.length > 0 ? { ...s, reports: s.reports.slice(1) } : undefined),
    (s) => (s.zonesAvoided.length > 0 ? { ...s, zonesAvoided: s.zonesAvoided.slice(1) } : undefined),
    (s) => (s.leader.changes.length > 0 ? { ...s, leader: { ...s.leader, changes: s.leader.changes.slice(1) } } : undefined),
    (s) => (s.health.length > 0 ? { ...s, health: leastEstablishedDropped(s.health) } : undefined),
  ];
  for (const cut of cuts) {
    while (stateBytes(fitted) > maxBytes) {
      const next = cut(fitted);
      if (!next) break;
      fitted = next;
    }
  }
  return fitted;
}

/** Health records without the one whose evidence began last (it has the least to lose). */
function leastEstablishedDropped(health: ControllerState['health']): ControllerState['health'] {
  const since = (h: ControllerState['health'][number]): number => h.missingSince ?? h.slowSince ?? 0;
  const newest = health.reduce((a, b) => (since(b) > since(a) ? b : a));
  return health.filter((h) => h !== newest);
}
