import type { ZoneAvoided } from '../config/state.js';
import type { LaunchRole, ServerId } from './model.js';

// Where a new server goes: a chain of small filters over the spec's zones, each keeping the zones
// that pass it and saying why the others went; the placement strategy breaks the tie among what is
// left. A filter that would leave no zone keeps them all (a server somewhere beats none).

export interface ZoneCandidate {
  readonly zone: string;
  /** Members of the new server's role in this zone, not counting those leaving (being replaced or removed). */
  readonly members: number;
}

export interface PlacementInput {
  readonly zones: readonly string[];
  readonly role: LaunchRole;
  /** Each staying member of the role (or each spare), and the zone its instance is in (as the fleet reports it). */
  readonly placed: readonly { readonly serverId: ServerId; readonly zone: string | undefined }[];
  readonly avoided: readonly ZoneAvoided[];
  readonly now: number;
}

export interface FilterResult {
  readonly kept: readonly ZoneCandidate[];
  /** Why zones were dropped, for the decision sentence ('' when none was). */
  readonly note: string;
}

export type ZoneFilter = (candidates: readonly ZoneCandidate[], input: PlacementInput) => FilterResult;

/** Zones where a launch recently failed (no capacity, a joiner that did not start or sync) are
 * skipped until their time is up. */
export const notAvoided: ZoneFilter = (candidates, input) => {
  const avoided = input.avoided.filter((a) => a.until > input.now && candidates.some((c) => c.zone === a.zone));
  const kept = candidates.filter((c) => !avoided.some((a) => a.zone === c.zone));
  const note = avoided.map((a) => ` (zone ${a.zone} skipped for another ${Math.ceil((a.until - input.now) / 60_000)} min: ${a.why})`).join('');
  return { kept, note };
};

/** Spread: the zones with the fewest staying members of the role, so that losing any one zone
 * keeps the quorum. */
export const fewestMembers: ZoneFilter = (candidates) => {
  const fewest = Math.min(...candidates.map((c) => c.members));
  return { kept: candidates.filter((c) => c.members === fewest), note: '' };
};

export const SPREAD: readonly ZoneFilter[] = [notAvoided, fewestMembers];

/** The zones left after each filter, and why the others went. */
export function placementCandidates(input: PlacementInput, filters: readonly ZoneFilter[] = SPREAD): FilterResult {
  let candidates: readonly ZoneCandidate[] = input.zones.map((zone) => ({ zone, members: input.placed.filter((p) => p.zone === zone).length }));
  let note = '';
  for (const filter of filters) {
    const result = filter(candidates, input);
    if (result.kept.length === 0) continue;
    candidates = result.kept;
    note += result.note;
  }
  return { kept: candidates, note };
}
