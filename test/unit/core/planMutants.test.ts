import { describe, expect, it } from 'vitest';
import { think } from '../../../lib/core/index.js';
import { observe, stateFor, T0, testSpec } from '../../support/world.js';

// The operation state machine (plan.ts: startRemove, advance, reconfigure, launch, abandon), held to
// what its mutants showed no other test pinned (docs/mutation.md).

describe('the operation state machine', () => {
  it('starts a removal as an operation of its own: id remove-<server>-<start>, reconfiguring from now', () => {
    const three = testSpec();
    const observed = observe(three, { voters: [1, 2, 3, 4, 5], leader: 1 });
    const thought = think(three, stateFor(three, observed), observed, T0);
    const op = thought.state.operation;
    expect(op).toMatchObject({ kind: 'remove', startedAt: T0, step: 'reconfiguring', stepSince: T0 });
    expect(op?.id).toBe(`remove-${op?.serverId}-${T0.toString(36)}`);
  });
});
