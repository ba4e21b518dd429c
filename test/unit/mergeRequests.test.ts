import { describe, expect, it } from 'vitest';
import { mergeRequests, type OperatorRequests } from '../../lib/config/index.js';

// Requests as the stores keep them: one per kind and server, the newest; a replace request keeps
// the earliest deadline an EC2 notice gave, and the same notice delivered again changes nothing new.

const spot: OperatorRequests[number] = { id: 'notice-2-aaaaaaaaaaaaaaaa', kind: 'replace', serverId: 2, instanceId: 'i-0a1b2c3d4e5f60002', deadline: 120_000, reason: 'spot interruption (terminate) by 1970-01-01T00:02:00Z', at: 1_000 };

describe('mergeRequests', () => {
  it('keeps the earliest deadline when a later request for the server gives none (a rebalance recommendation, an operator)', () => {
    const rebalance = { id: 'notice-2-bbbbbbbbbbbbbbbb', kind: 'replace' as const, serverId: 2, instanceId: 'i-0a1b2c3d4e5f60002', reason: 'spot rebalance recommendation (no deadline given)', at: 2_000 };
    expect(mergeRequests([spot], [rebalance])).toEqual([{ ...rebalance, deadline: 120_000, reason: spot.reason }]);
    const operator = { id: 'replace-2-3000', kind: 'replace' as const, serverId: 2, reason: 'an operator asked', at: 3_000 };
    expect(mergeRequests([spot], [operator])).toEqual([{ ...operator, instanceId: spot.instanceId, deadline: 120_000, reason: spot.reason }]);
    // A later notice with an earlier deadline is the one kept.
    const sooner = { ...spot, id: 'notice-2-cccccccccccccccc', deadline: 60_000, reason: 'sooner', at: 4_000 };
    expect(mergeRequests([spot], [sooner])).toEqual([sooner]);
  });

  it('takes the same notice again as it says now, at the time it was first recorded (not a new request)', () => {
    const moved = { ...spot, deadline: 180_000, reason: 'moved', at: 9_000 };
    expect(mergeRequests([spot], [moved])).toEqual([{ ...moved, at: 1_000 }]);
    expect(mergeRequests([spot], [spot])).toEqual([spot]);
  });

  it('keeps the newest of other kinds, one per kind and server', () => {
    const report = (at: number) => ({ id: `alarm-2-${at}`, kind: 'report' as const, serverId: 2, reason: 'alarm', at });
    expect(mergeRequests([report(1), spot], [report(5)])).toEqual([report(5), spot]); // oldest first
  });
});
