import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { memberAt } from '../../lib/core/index.js';
import type { Fleet } from '../../lib/ports/index.js';

// The Fleet contract: EC2 and local processes alike.

export function fleetContract(name: string, open: () => Promise<Fleet>, { timeoutMs = 30_000 } = {}): void {
  const spec = ClusterSpecSchema.parse({ cluster: 'orders', zookeeper: { heapMb: 64, preAllocSizeKb: 4096 }, zones: [{ name: 'a', subnetId: 'subnet-a' }, { name: 'b', subnetId: 'subnet-b' }] });
  const committed = [memberAt(spec.zookeeper, 1, '127.254.254.1', 'voter')];
  const request = { spec, serverId: 7, role: 'voter' as const, zone: 'b', operationId: 'replace-7', committed };

  describe(`Fleet contract: ${name}`, () => {
    it('launches once per operation: a retried launch returns the same instance', async () => {
      const fleet = await open();
      expect((await fleet.list()).filter((i) => i.state !== 'terminated')).toEqual([]);
      const first = await fleet.launch(request);
      const again = await fleet.launch(request);
      expect(again.instanceId).toBe(first.instanceId);
      expect(first).toMatchObject({ serverId: 7, zone: 'b' });
      const live = (await fleet.list()).filter((i) => i.state === 'running' || i.state === 'pending');
      expect(live.map((i) => i.serverId)).toEqual([7]);
      await fleet.terminate(7);
    }, timeoutMs);

    it('terminates idempotently, and a terminated server is no longer running', async () => {
      const fleet = await open();
      await fleet.launch(request);
      await fleet.terminate(7);
      await fleet.terminate(7);
      expect((await fleet.list()).filter((i) => i.serverId === 7 && (i.state === 'running' || i.state === 'pending'))).toEqual([]);
      await fleet.terminate(99); // never launched: nothing to do
      expect(await fleet.bootLog(99)).toBeUndefined();
    }, timeoutMs);
  });
}
