import { setTimeout as sleep } from 'node:timers/promises';
import { placeLocalCluster, type LocalSettings } from '../adapters/local/index.js';
import type { ClusterSpec } from '../config/index.js';
import { createStep, tickCluster, type CreateResult, type Deps, type TickResult } from '../controller/index.js';
import { NotCreatedError } from '../errors.js';
import type { LocalDeps } from '../wiring/index.js';

// `create`, run from a terminal: the controller's creation steps until a quorum serves, then one
// tick, which publishes the connect strings. Interrupted, running it again finishes the same cluster.

/** How long a creation is waited for, and how often its step runs: local servers answer in seconds
 * (half a minute on a busy machine); EC2 instances boot in a minute or two, and each step there
 * costs SSM writes (the lease) and describes, so it runs every 10 s. A creation that takes longer
 * is finished by running create again. */
export const CREATE_PACE = {
  local: { timeoutMs: 90_000, intervalMs: 1_000 },
  aws: { timeoutMs: 10 * 60_000, intervalMs: 10_000 },
} as const;

export async function createAndWait(deps: Deps, cluster: string, pace: { timeoutMs: number; intervalMs: number }): Promise<{ created: CreateResult; tick?: TickResult }> {
  const deadline = Date.now() + pace.timeoutMs;
  for (let begun = false; ; begun = true) {
    const created = await createStep(deps, cluster, { begun });
    if (created.outcome === 'created') return { created, tick: await tickCluster(deps, cluster, { kind: 'manual', command: 'create' }) };
    if (Date.now() + pace.intervalMs > deadline) return { created };
    await sleep(pace.intervalMs);
  }
}

/** A new local cluster: placed on its addresses, its spec written, created until a quorum serves. */
export async function createLocalCluster(deps: LocalDeps, spec: ClusterSpec, settings: LocalSettings): Promise<CreateResult> {
  placeLocalCluster(deps.store, spec.cluster, settings);
  await deps.store.writeSpec(spec.cluster, spec);
  const { created } = await createAndWait(deps, spec.cluster, CREATE_PACE.local);
  if (created.outcome !== 'created') throw new NotCreatedError(spec.cluster, CREATE_PACE.local.timeoutMs, created.why);
  return created;
}
