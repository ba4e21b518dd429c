// How much one cluster's stored documents may hold. SSM's standard tier takes 4,096 characters a
// parameter and an incident is exactly when the state grows, so every list and string below is
// bounded such that the fullest state and the fullest requests document fit by construction
// (test/property/documentSize.property.test.ts builds the worst case from the schemas). The spec's
// size bounds are part of it: the state keeps evidence per member.

/** Bytes a stored document (state, requests) may take: SSM's standard tier. */
export const DOCUMENT_MAX_BYTES = 4096;

/** Voters a spec may ask for: more voters make every write slower (7 is ZooKeeper's usual top). */
export const MAX_VOTERS = 9;
/** Observers a spec may ask for. */
export const MAX_OBSERVERS = 16;
/** Hot spares a spec may ask for: synced non-voting followers outside the config, each one a heal
 * that costs one reconfig (more than one per zone of a three-zone spread buys little). */
export const MAX_SPARES = 3;
/** Servers the state may keep evidence on: every member plus the joiner of the operation in flight.
 * Spares are not counted: the fullest state has no room for three more records, and evidence on
 * members comes first (nextState.ts), so a spare's is cut only while every member has some. */
export const MAX_TRACKED_SERVERS = MAX_VOTERS + MAX_OBSERVERS + 1;

/** Leader changes that make an election storm, at most: the state keeps only that many times. */
export const MAX_STORM_CHANGES = 10;
/** Failure reports awaiting corroboration (one per server, the oldest dropped first). */
export const MAX_PENDING_REPORTS = 5;
/** Zones placement skips after a failed launch (spread needs three zones: skipping more leaves none to spread over). */
export const MAX_ZONES_AVOIDED = 3;
/** Retired server ids the state remembers (serverIds.ts): the one removal whose confirming write is
 * not seen yet (one membership change at a time, and the next reconfig is such a write), and a joiner
 * rolled back before it served. Without a record an id is judged as one that served. */
export const MAX_RETIRED_IDS = 2;
/** Operator requests waiting in the requests document. */
export const MAX_REQUESTS = 16;

/** JSON-encoded bytes a free-text field may take, quotes excluded. */
export const TEXT_BYTES = {
  /** The operation's decision sentence. */
  why: 140,
  /** A failure report's reason. */
  reason: 64,
  /** Why a zone is avoided. */
  zoneWhy: 40,
} as const;

/** Counters saturate here: a member missing for days needs no bigger number. */
export const MAX_COUNT = 9999;
/** Times are epoch milliseconds up to 13 digits (the year 2286). */
export const MAX_TIME_MS = 9_999_999_999_999;
