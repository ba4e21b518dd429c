import type { MemberProbe } from './health.js';
import type { ServerId } from './model.js';

// ZooKeeper versions: reconfig had known bugs before 3.5.9 and 3.6.2, so we refuse to reconfig
// (or run) anything older.

export interface ZooKeeperVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Reads the leading `x.y.z` of a version string such as `3.8.0-${mvngit.commit.id}, built on ...`. */
export function parseZooKeeperVersion(text: string): ZooKeeperVersion | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function hasReconfigFixes(v: ZooKeeperVersion): boolean {
  if (v.major !== 3) return v.major > 3;
  if (v.minor === 5) return v.patch >= 9;
  if (v.minor === 6) return v.patch >= 2;
  return v.minor > 6;
}

export function showVersion(v: ZooKeeperVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Members whose probe shows a ZooKeeper without the reconfig fixes (or a version we cannot read):
 * while any is listed, no reconfig may be sent. */
export function membersBlockingReconfig(probes: readonly MemberProbe[]): { serverId: ServerId; version: string }[] {
  return probes.flatMap((p) => {
    if (p.result.status !== 'serving') return [];
    const version = parseZooKeeperVersion(p.result.health.version);
    return version && hasReconfigFixes(version) ? [] : [{ serverId: p.serverId, version: p.result.health.version }];
  });
}
