import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema, initialState } from '../../lib/config/index.js';
import { InvalidInputError, LeaseLostError, NotFoundError } from '../../lib/errors.js';
import type { StateStore } from '../../lib/ports/index.js';

// The StateStore contract: every implementation (files, SSM, the in-memory fake) passes it.

export interface StoreUnderTest {
  readonly store: StateStore;
  /** Puts raw, possibly malformed, text where the cluster's spec is stored. */
  plantSpec(cluster: string, text: string): Promise<void>;
}

export function stateStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  const spec = ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 } });

  describe(`StateStore contract: ${name}`, () => {
    it('round-trips a spec and lists the cluster', async () => {
      const { store } = await open();
      await store.writeSpec('orders', spec);
      expect(await store.readSpec('orders')).toEqual(spec);
      expect(await store.listClusters()).toEqual(['orders']);
    });

    it('says which cluster is missing, and which field of a malformed spec is wrong', async () => {
      const t = await open();
      await expect(t.store.readSpec('nope')).rejects.toThrow(NotFoundError);
      await t.plantSpec('orders', JSON.stringify({ cluster: 'orders', voters: { desired: 4 } }));
      await expect(t.store.readSpec('orders')).rejects.toThrow(InvalidInputError);
      await expect(t.store.readSpec('orders')).rejects.toThrow(/voters\.desired: must be odd .*\(got 4\)/);
    });

    it('has no state before the first write, and returns what was written under the lease', async () => {
      const { store } = await open();
      expect(await store.readState('orders')).toBeUndefined();
      const lease = await store.acquireLease('orders', 'a', 10_000, Date.now());
      if (!lease) throw new Error('lease expected');
      const state = { ...initialState('orders', 4), roundRobinCursor: 7 };
      await store.writeState('orders', state, lease);
      expect((await store.readState('orders'))?.state).toEqual(state);
    });

    it('grants the lease to exactly one of two concurrent claims', async () => {
      const { store } = await open();
      const now = Date.now();
      const claims = await Promise.all([store.acquireLease('orders', 'a', 10_000, now), store.acquireLease('orders', 'b', 10_000, now)]);
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    });

    it('refuses another holder until the lease expires or is released, and fences writes with the token', async () => {
      const { store } = await open();
      const now = Date.now();
      const a = await store.acquireLease('orders', 'a', 1_000, now);
      expect(await store.acquireLease('orders', 'b', 1_000, now + 500)).toBeUndefined();
      const renewed = await store.acquireLease('orders', 'a', 1_000, now + 500);
      expect(renewed?.token).toBeGreaterThan(a?.token ?? Infinity);
      const b = await store.acquireLease('orders', 'b', 60_000, now + 5_000); // a's lease has expired
      expect(b?.holder).toBe('b');
      if (!renewed || !b) throw new Error('leases expected');
      await expect(store.writeState('orders', initialState('orders'), renewed)).rejects.toThrow(LeaseLostError);
      expect(await store.readState('orders')).toBeUndefined();
      await store.releaseLease(b);
      expect(await store.acquireLease('orders', 'c', 1_000, Date.now())).toBeDefined();
    });

    it('says whether a lease still holds: not once it expired, was taken over or released', async () => {
      const { store } = await open();
      const now = Date.now();
      const a = await store.acquireLease('orders', 'a', 1_000, now);
      if (!a) throw new Error('lease expected');
      expect(await store.holdsLease(a, now + 500)).toBe(true);
      expect(await store.holdsLease(a, now + 1_000)).toBe(false);
      const b = await store.acquireLease('orders', 'b', 60_000, now + 2_000);
      if (!b) throw new Error('lease expected');
      expect(await store.holdsLease(a, now + 500)).toBe(false);
      expect(await store.holdsLease(b, now + 2_500)).toBe(true);
      await store.releaseLease(b);
      expect(await store.holdsLease(b, now + 2_500)).toBe(false);
    });

    it('refuses a spec stored under another cluster name', async () => {
      const t = await open();
      await expect(t.store.writeSpec('billing', spec)).rejects.toThrow('cluster: "orders" is not the cluster it is stored under ("billing")');
      await t.plantSpec('billing', JSON.stringify({ cluster: 'orders' }));
      await expect(t.store.readSpec('billing')).rejects.toThrow(InvalidInputError);
    });

    it('refuses a state its next read could not parse (larger than its bounds, so than a standard parameter), writing nothing', async () => {
      const { store } = await open();
      const lease = await store.acquireLease('orders', 'a', 10_000, Date.now());
      if (!lease) throw new Error('lease expected');
      const health = Array.from({ length: 100 }, (_, i) => ({ serverId: 1 + i, misses: 9999, missingSince: 1_764_600_000_000, slowTicks: 0 }));
      await expect(store.writeState('orders', { ...initialState('orders'), health }, lease)).rejects.toThrow(/invalid state of orders to be written: health: Too big: expected array to have <=26 items/);
      expect(await store.readState('orders')).toBeUndefined();
    });

    it('keeps one request per kind and server, the newest, and an operator\'s replace request through a storm of alarm reports', async () => {
      const { store } = await open();
      await store.addRequest('orders', { id: 'replace-3-1', kind: 'replace', serverId: 3, reason: 'disk', at: 1 });
      for (let i = 0; i < 40; i++) await store.addRequest('orders', { id: `alarm-${1 + (i % 20)}-${10 + i}`, kind: 'report', serverId: 1 + (i % 20), reason: 'x'.repeat(64), at: 10 + i });
      const requests = await store.readRequests('orders');
      expect(requests).toHaveLength(16);
      expect(requests[0]).toMatchObject({ kind: 'replace', serverId: 3 });
      expect(requests.filter((r) => r.kind === 'report').map((r) => r.at)).toEqual(Array.from({ length: 15 }, (_, i) => 35 + i));
    });

    it('keeps operator requests in order, and the connect strings', async () => {
      const { store } = await open();
      await store.addRequest('orders', { id: 'r1', kind: 'report', serverId: 2, reason: 'slow', at: 1 });
      await store.addRequest('orders', { id: 'r2', kind: 'replace', serverId: 3, reason: 'disk', at: 2 });
      expect((await store.readRequests('orders')).map((r) => r.id)).toEqual(['r1', 'r2']);
      expect(await store.readConnectString('orders')).toBeUndefined();
      await store.publishConnectString('orders', () => ({ clients: '10.0.0.1:2181', readMostly: '10.0.0.2:2181' }));
      expect(await store.readConnectString('orders')).toEqual({ clients: '10.0.0.1:2181', readMostly: '10.0.0.2:2181' });
    });

    it('loses no operator request when several operators add one at the same instant', async () => {
      const { store } = await open();
      const ids = ['a', 'b', 'c', 'd', 'e'];
      await Promise.all(ids.map((id, i) => store.addRequest('orders', { id, kind: 'report', serverId: 1 + i, reason: `operator ${id}`, at: 100 + i })));
      expect((await store.readRequests('orders')).map((r) => r.id)).toEqual(ids);
    });
  });
}
