import { LeaseExpiringError, LeaseLostError } from '../errors.js';
import type { Lease } from '../ports/index.js';
import type { Deps } from './tick.js';

// Fencing: an acting call starts only while the lease is still ours and will outlast the call.

/** The longest each acting call may take (SDK and ZooKeeper timeouts included): a call starts only
 * while the lease has at least this long left, so it cannot outlive the lease. */
export const CALL_MAX_MS = {
  /** A lookup and RunInstances per zone tried (each call at most ~8 s), or a local JVM's start (30 s). */
  launch: 60_000,
  /** The reconfig and, after a lost reply, its read-back. */
  reconfig: 20_000,
  /** The boot log of a failed joiner, a confirming write, then a describe and TerminateInstances, or a kill. */
  terminate: 45_000,
} as const;

export function fenceFor(deps: Deps, lease: Lease): (call: keyof typeof CALL_MAX_MS) => Promise<void> {
  return async (call) => {
    const now = deps.clock();
    if (lease.expiresAt - now < CALL_MAX_MS[call]) throw new LeaseExpiringError(lease.cluster, call, lease.expiresAt - now, CALL_MAX_MS[call]);
    if (!(await deps.store.holdsLease(lease, now))) throw new LeaseLostError(lease.cluster, lease.token, 'another controller (or nobody)');
  };
}

