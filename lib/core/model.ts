// The domain's words (see docs/design): a member is a server we manage, keyed by a server id that
// comes back only when ZooKeeper cannot tell it from a fresh one (lib/core/serverIds.ts); voter and
// observer are its role in the committed config.

/** ZooKeeper server id (`myid`). 1..255: ZooKeeper builds session ids as `id << 56`, so ids that
 * differ by 256 would hand out colliding session ids. */
export type ServerId = number;
export const MIN_SERVER_ID = 1;
export const MAX_SERVER_ID = 255;

export type Role = 'voter' | 'observer';
/** What a new server is launched to be: a member-to-be of a role, or a hot spare (kept synced
 * outside the config until a failed voter needs it). */
export type LaunchRole = Role | 'spare';

/** One `server.N=` line of the membership config. */
export interface ConfigMember {
  readonly serverId: ServerId;
  readonly role: Role;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly clientHost: string;
  readonly clientPort: number;
}

/** The committed membership, as read from `/zookeeper/config`. */
export interface EnsembleConfig {
  /** The zxid of the reconfig that made this config (the `version=` line); `fromConfig` of the next reconfig. */
  readonly version: bigint;
  readonly members: readonly ConfigMember[];
}

export function votersOf(members: readonly ConfigMember[]): ConfigMember[] {
  return members.filter((m) => m.role === 'voter');
}

export function observersOf(members: readonly ConfigMember[]): ConfigMember[] {
  return members.filter((m) => m.role === 'observer');
}

/** `host:port,host:port` for clients, in the order given. */
export function connectString(members: readonly ConfigMember[]): string {
  return members.map((m) => `${m.clientHost}:${m.clientPort}`).join(',');
}

/** Config versions are zxids; logged as lowercase hex, as ZooKeeper writes them. */
export function hexVersion(version: bigint): string {
  return version.toString(16);
}
