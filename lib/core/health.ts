import type { ServerId } from './model.js';

// What a probe of one server observed. Filled by lib/zk from `srvr` + `mntr` (or the AdminServer),
// read by failure detection.

export type ServerMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';

export interface ServerHealth {
  readonly mode: ServerMode;
  /** e.g. `3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC`. */
  readonly version: string;
  /** From `srvr`: mntr has no zxid. */
  readonly zxid: bigint;
  readonly peerState: string;
  readonly latencyMs: { readonly min: number; readonly avg: number; readonly max: number };
  readonly outstandingRequests: number;
  readonly connections: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly znodeCount: number;
  readonly watchCount: number;
  readonly ephemeralsCount: number;
  readonly approximateDataSizeBytes: number;
  readonly openFileDescriptors: number | undefined;
  readonly maxFileDescriptors: number | undefined;
  /** `zk_quorum_size`: the number of voters in the server's config (not the majority). */
  readonly votersInConfig: number | undefined;
  /** Present on the leader only. */
  readonly leader: LeaderView | undefined;
  /** Every other mntr key, as text: the key set varies with role, traffic and version. */
  readonly extra: Readonly<Record<string, string>>;
}

/** The leader's count of who is synced with it. */
export interface LeaderView {
  /** Followers the leader counts as synced (voting and non-voting). */
  readonly syncedFollowers: number;
  readonly syncedNonVotingFollowers: number;
  readonly syncedObservers: number;
  readonly learners: number;
  readonly pendingSyncs: number;
  /** Voters synced with the leader, the leader included: followers - non-voting + 1. */
  readonly syncedVoters: number;
}

export type ProbeResult =
  | { readonly status: 'serving'; readonly health: ServerHealth }
  /** It answered but serves no requests: no quorum, looking for a leader, or still syncing. */
  | { readonly status: 'not-serving'; readonly detail: string }
  /** No answer: refused (process down), timeout (hung or gone host), broken, unreachable. */
  | { readonly status: 'no-answer'; readonly failure: 'refused' | 'timeout' | 'broken' | 'unreachable'; readonly detail: string }
  /** It answered something we cannot read: garbage, or a version we do not understand. */
  | { readonly status: 'bad-answer'; readonly detail: string };

export interface MemberProbe {
  readonly serverId: ServerId;
  readonly endpoint: string;
  readonly result: ProbeResult;
  /** How long the probe took, in ms. */
  readonly tookMs: number;
}
