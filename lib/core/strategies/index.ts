import type { StrategyName } from '../../config/spec.js';
import { leastRequests } from './leastRequests.js';
import { leastResponseTime } from './leastResponseTime.js';
import { random } from './random.js';
import { roundRobin } from './roundRobin.js';
import type { Candidate, PickContext, Strategy } from './strategy.js';

export type { Candidate, Pick, PickContext, Purpose, Strategy } from './strategy.js';

export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  random,
  'round-robin': roundRobin,
  'least-response-time': leastResponseTime,
  'least-requests': leastRequests,
};

/** `count` picks in turn (each from what is left): an ordered subset, e.g. for a connect string.
 * Round-robin starts where its cursor is and takes consecutive candidates; the cursor then moves
 * on by one, so successive subsets rotate. */
export function pickSeveral(
  strategy: Strategy,
  candidates: readonly Candidate[],
  count: number,
  ctx: PickContext,
): { chosen: Candidate[]; cursor: number } {
  const left = [...candidates];
  const chosen: Candidate[] = [];
  let cursor = ctx.cursor;
  while (chosen.length < count && left.length > 0) {
    const pick = strategy.pick(left, ctx);
    chosen.push(pick.chosen);
    left.splice(left.indexOf(pick.chosen), 1);
    cursor = pick.cursor;
  }
  return { chosen, cursor };
}
