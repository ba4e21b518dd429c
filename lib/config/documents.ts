import { DOCUMENT_MAX_BYTES } from '../core/limits.js';
import { InvalidInputError, StateTooLargeError } from '../errors.js';
import type { Lease } from '../ports/index.js';
import { parseOrThrow } from './parse.js';
import type { ClusterSpec } from './spec.js';
import { ControllerStateSchema, type ControllerState } from './state.js';

// Rules every state store keeps alike, so that local mode fails where AWS would.

/** `value` as the JSON a store writes, if it fits SSM's standard parameter; StateTooLargeError
 * otherwise, before anything is written. */
export function documentText(cluster: string, what: string, value: unknown): string {
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > DOCUMENT_MAX_BYTES) throw new StateTooLargeError(cluster, what, bytes, DOCUMENT_MAX_BYTES);
  return text;
}

/** Whether the lease record a store holds (`token`: SSM's version, or the file's counter) is still
 * `lease` at `now`: not taken over, not released, not expired. */
export function leaseHolds(record: { token: number; holder: string; expiresAt: number } | undefined, lease: Lease, now: number): boolean {
  return record !== undefined && record.token === lease.token && record.holder === lease.holder && record.expiresAt > now;
}

/** A spec is stored under its own name: one naming another cluster would mix two clusters' state. */
export function specStoredAs(cluster: string, spec: ClusterSpec, source: string): ClusterSpec {
  if (spec.cluster !== cluster) throw new InvalidInputError(source, [`cluster: ${JSON.stringify(spec.cluster)} is not the cluster it is stored under (${JSON.stringify(cluster)})`]);
  return spec;
}

/** The state as a store writes it, checked first against the schema its next read applies: a state
 * written that could not be read back would stop the cluster for good. */
export function stateText(cluster: string, state: ControllerState): string {
  parseOrThrow(ControllerStateSchema, state, `state of ${cluster} to be written`);
  return documentText(cluster, 'state', state);
}
