import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { launchRequest } from '../../lib/controller/index.js';
import { memberAt, type Membership, type ServerId } from '../../lib/core/index.js';
import type { Fleet, LaunchRequest } from '../../lib/ports/index.js';
import { superUserOf } from '../../lib/wiring/local.js';

// The Fleet contract: EC2 and local processes alike.

export function fleetContract(name: string, open: () => Promise<Fleet>, { timeoutMs = 30_000 } = {}): void {
  const spec = ClusterSpecSchema.parse({
    cluster: 'orders',
    zookeeper: { heapMb: 64, preAllocSizeKb: 4096 },
    zones: [{ name: 'a', subnetId: 'subnet-a' }, { name: 'b', subnetId: 'subnet-b' }],
    launchTemplate: { id: 'lt-0abc', version: '3' },
  });
  const committed = [memberAt(spec.zookeeper, 1, '127.254.254.1', 'voter')];
  /** A launch as the controller renders it, for the place the fleet gives the server. */
  const requestFor = (fleet: Fleet, serverId: ServerId, zone: string, operationId: string, membership: Membership, reservation?: LaunchRequest['reservation']): Promise<LaunchRequest> =>
    launchRequest(spec, { fleet, superUser: superUserOf({ read: async () => 'contract-password' }, 'orders') }, { serverId, role: 'voter', zone, operationId }, membership, reservation);

  describe(`Fleet contract: ${name}`, () => {
    it('launches once per operation: a retried launch returns the same instance', async () => {
      const fleet = await open();
      const request = await requestFor(fleet, 7, 'b', 'replace-7', { kind: 'join', committed });
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
      await fleet.launch(await requestFor(fleet, 7, 'b', 'replace-7', { kind: 'join', committed }));
      await fleet.terminate(7);
      await fleet.terminate(7);
      expect((await fleet.list()).filter((i) => i.serverId === 7 && (i.state === 'running' || i.state === 'pending'))).toEqual([]);
      await fleet.terminate(99); // never launched: nothing to do
      expect(await fleet.bootLog(99)).toBeUndefined();
    }, timeoutMs);

    it('starts servers created together at the addresses it reserved, and gives a resumed creation the same ones with its label', async () => {
      const fleet = await open();
      const servers = [{ serverId: 1, zone: 'a' }, { serverId: 2, zone: 'b' }, { serverId: 3, zone: 'a' }];
      const reservation = await fleet.reserveAddresses(servers, spec.zones);
      expect(reservation.creation).toBeUndefined();
      const { addresses } = reservation;
      expect([...addresses.keys()]).toEqual([1, 2, 3]);
      expect(new Set(addresses.values()).size).toBe(3);
      const members = servers.map((s) => memberAt(spec.zookeeper, s.serverId, addresses.get(s.serverId) ?? '', 'voter'));
      // One server of three started (its quorum is not there: it only has to run), then the rest.
      const first = await fleet.launch(await requestFor(fleet, 1, 'a', 'create-1-m1.abcd1234', { kind: 'initial', members }, { addresses, creation: 'm1.abcd1234' }));
      expect(first.host).toBe(addresses.get(1));
      expect(await fleet.reserveAddresses(servers, spec.zones)).toEqual({ addresses, creation: 'm1.abcd1234' });
      await fleet.terminate(1);
    }, timeoutMs);
  });
}
