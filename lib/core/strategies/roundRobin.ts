import { byKey, type Strategy } from './strategy.js';

/** The next candidate in key order after the last one picked; the cursor lives in the state. */
export const roundRobin: Strategy = {
  name: 'round-robin',
  pick(candidates, ctx) {
    const sorted = byKey(candidates);
    const chosen = sorted[ctx.cursor % sorted.length] ?? (sorted[0] as (typeof sorted)[number]);
    return { chosen, cursor: ctx.cursor + 1, why: `${chosen.key} is next in turn (${(ctx.cursor % sorted.length) + 1} of ${sorted.length})` };
  },
};
