import { setTimeout as sleep } from 'node:timers/promises';
import { placeLocalCluster, type LocalSettings } from '../adapters/local/index.js';
import type { ClusterSpec } from '../config/index.js';
import { createStep, tickCluster, type CreateResult, type Deps, type TickResult } from '../controller/index.js';
import { NotCreatedError } from '../errors.js';
import type { LocalDeps } from '../wiring/index.js';

// `create`, run from a terminal: the controller's creation steps until a quorum serves, then one
// tick, which publishes the connect strings. Interrupted, running it again finishes the same cluster.

/** Local servers answer in seconds; on a busy machine a JVM may take half a minute. */
export const LOCAL_CREATE_TIMEOUT_MS = 90_000;
/** EC2 instances boot in a minute or two; a creation that takes longer is finished by running it again. */
export const AWS_CREATE_TIMEOUT_MS = 10 * 60_000;

/** Between creation steps: servers boot in seconds locally, in a minute or two on EC2. */
const STEP_INTERVAL_MS = 1_000;

export async function createAndWait(deps: Deps, cluster: string, timeoutMs: number): Promise<{ created: CreateResult; tick?: TickResult }> {
  const deadline = Date.now() + timeoutMs;
  for (let begun = false; ; begun = true) {
    const created = await createStep(deps, cluster, { begun });
    if (created.outcome === 'created') return { created, tick: await tickCluster(deps, cluster, { kind: 'manual', command: 'create' }) };
    if (Date.now() + STEP_INTERVAL_MS > deadline) return { created };
    await sleep(STEP_INTERVAL_MS);
  }
}

/** A new local cluster: placed on its addresses, its spec written, created until a quorum serves. */
export async function createLocalCluster(deps: LocalDeps, spec: ClusterSpec, settings: LocalSettings): Promise<CreateResult> {
  placeLocalCluster(deps.store, spec.cluster, settings);
  await deps.store.writeSpec(spec.cluster, spec);
  const { created } = await createAndWait(deps, spec.cluster, LOCAL_CREATE_TIMEOUT_MS);
  if (created.outcome !== 'created') throw new NotCreatedError(spec.cluster, LOCAL_CREATE_TIMEOUT_MS, created.why);
  return created;
}
