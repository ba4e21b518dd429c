import { describe, expect, it } from 'vitest';
import { CALL_MAX_MS, fenceFor } from '../../lib/controller/fence.js';
import type { Deps } from '../../lib/controller/index.js';
import { LeaseExpiringError, LeaseLostError } from '../../lib/errors.js';
import type { Lease } from '../../lib/ports/index.js';

// The fence every acting call passes: it starts only while the lease is still ours and has at least
// the call's longest time left.

const NOW = 1_000_000;
const lease: Lease = { cluster: 'orders', holder: 'controller:tick1', token: 7, expiresAt: NOW + 60_000 };

function fence(holds: boolean, now = NOW): { fence: ReturnType<typeof fenceFor>; asked: [Lease, number][] } {
  const asked: [Lease, number][] = [];
  const store = { holdsLease: async (l: Lease, at: number) => (asked.push([l, at]), holds) };
  return { fence: fenceFor({ clock: () => now, store } as unknown as Deps, lease), asked };
}

describe('fenceFor', () => {
  it('gives each call its own budget: 60 s for a launch, 20 s for a reconfig, 45 s for a terminate', () => {
    expect(CALL_MAX_MS).toEqual({ launch: 60_000, reconfig: 20_000, terminate: 45_000 });
  });

  it('lets a call start with exactly its budget left, asking the store whether the lease holds now', async () => {
    for (const call of ['launch', 'reconfig', 'terminate'] as const) {
      const { fence: f, asked } = fence(true, lease.expiresAt - CALL_MAX_MS[call]);
      await expect(f(call)).resolves.toBeUndefined();
      expect(asked).toEqual([[lease, lease.expiresAt - CALL_MAX_MS[call]]]);
    }
  });

  it('refuses a call with a millisecond less than its budget left, before asking the store', async () => {
    for (const call of ['launch', 'reconfig', 'terminate'] as const) {
      const left = CALL_MAX_MS[call] - 1;
      const { fence: f, asked } = fence(true, lease.expiresAt - left);
      const refused = f(call);
      await expect(refused).rejects.toThrow(LeaseExpiringError);
      await expect(refused).rejects.toThrow(`${call} on orders not started: the lease has ${left} ms left and the step may take ${CALL_MAX_MS[call]} ms`);
      expect(asked).toEqual([]);
    }
    // A reconfig fits in 50 s that a launch does not.
    await expect(fence(true, lease.expiresAt - 50_000).fence('reconfig')).resolves.toBeUndefined();
    await expect(fence(true, lease.expiresAt - 50_000).fence('launch')).rejects.toThrow(LeaseExpiringError);
  });

  it('refuses a call once the store says the lease no longer holds, naming the token', async () => {
    const refused = fence(false).fence('reconfig');
    await expect(refused).rejects.toThrow(LeaseLostError);
    await expect(refused).rejects.toThrow('lease on orders lost (token 7, now held by another controller (or nobody)): nothing written');
  });
});
