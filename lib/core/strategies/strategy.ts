import type { StrategyName } from '../../config/spec.js';
import type { Rng } from '../rng.js';

// One interface for every choice of a server or a place: which server to remove on scale-in, which
// zone a new server goes to (after zone spreading has kept only the emptiest zones), and which
// servers a new client is given. Each implementation is its own module.

export type Purpose =
  /** Pick where clients should go: the least loaded, the fastest. */
  | 'serve'
  /** Pick the server to take out: the one whose clients are fewest, or the slowest. */
  | 'remove'
  /** Pick the zone for a new server. */
  | 'place';

export interface Candidate {
  /** A server id (as text) or a zone name; ties are broken by key order, so picks are reproducible. */
  readonly key: string;
  readonly outstandingRequests: number;
  readonly connections: number;
  readonly avgLatencyMs: number;
}

export interface PickContext {
  readonly purpose: Purpose;
  readonly rng: Rng;
  /** Round-robin's position, kept in the state between ticks. */
  readonly cursor: number;
}

export interface Pick {
  readonly chosen: Candidate;
  readonly cursor: number;
  /** Why this one, with the numbers compared. */
  readonly why: string;
}

export interface Strategy {
  readonly name: StrategyName;
  /** Picks one of a non-empty list. */
  pick(candidates: readonly Candidate[], ctx: PickContext): Pick;
}

export function byKey(candidates: readonly Candidate[]): Candidate[] {
  return [...candidates].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
}

/** The first candidate (in key order) with the lowest score. */
export function lowest(candidates: readonly Candidate[], score: (c: Candidate) => number): Candidate {
  const sorted = byKey(candidates);
  return sorted.reduce((best, c) => (score(c) < score(best) ? c : best), sorted[0] as Candidate);
}
