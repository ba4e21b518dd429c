import { describe, expect, it } from 'vitest';
import { jsonLog, MemoryMetrics } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { tickCluster } from '../../lib/controller/index.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';

// What a real tick publishes about hot spares (HotSpares, HotSparesReady, a server's role 'spare'):
// figures taken from the tick's own observation and thought, not from a sample.

describe('hot spare metrics, from a tick', () => {
  it('counts a synced spare as kept and ready with the role spare, and a spare that stopped answering as kept but not ready', async () => {
    const store = new MemoryStateStore();
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a' }], hotSpares: 1 });
    await store.writeSpec('orders', spec);
    const model = new ModelEnsemble(spec, [1, 2, 3], { launchTicks: 1, syncTicks: 1 });
    const metrics = new MemoryMetrics(jsonLog(() => undefined));
    const deps = { ...modelDeps(store, new Map([['orders', model]])), metrics };
    for (let i = 0; i < 10 && (await tickCluster(deps, 'orders', { kind: 'schedule' })).outcome !== 'steady'; i++) model.tick++;
    const rested = metrics.last('orders');
    expect(rested).toMatchObject({ voters: 3, votersSynced: 3, spares: 1, sparesReady: 1 });
    const spare = rested?.servers.find((s) => s.role === 'spare');
    expect(spare?.serverId).toBe(4);
    expect(rested?.servers.filter((s) => s.role === 'follower' || s.role === 'leader').map((s) => s.serverId).sort()).toEqual([1, 2, 3]);

    model.fail(4, 'hung');
    model.tick++;
    await tickCluster(deps, 'orders', { kind: 'schedule' });
    expect(metrics.last('orders')).toMatchObject({ spares: 1, sparesReady: 0 });
    expect(metrics.last('orders')?.servers.find((s) => s.serverId === 4)?.role).not.toBe('spare');
  });
});
