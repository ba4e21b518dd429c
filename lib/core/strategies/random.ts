import { byKey, type Strategy } from './strategy.js';

/** A seeded random pick: the same seed always picks the same candidate. */
export const random: Strategy = {
  name: 'random',
  pick(candidates, ctx) {
    const sorted = byKey(candidates);
    const index = Math.floor(ctx.rng() * sorted.length);
    const chosen = sorted[index] ?? (sorted[0] as (typeof sorted)[number]);
    return { chosen, cursor: ctx.cursor, why: `${chosen.key} drawn at random from ${sorted.length}` };
  },
};
