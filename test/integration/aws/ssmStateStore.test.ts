import { GetParameterCommand, GetParameterHistoryCommand, GetParametersCommand, PutParameterCommand, TooManyUpdates } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { RequestNotRecordedError, SsmStateStore } from '../../../lib/adapters/aws/ssmStateStore.js';
import { ClusterSpecSchema, initialState } from '../../../lib/config/index.js';
import { runTick, tickCluster } from '../../../lib/controller/index.js';
import { AwsCallError } from '../../../lib/adapters/aws/awsErrors.js';
import { FakeSsm } from '../../support/fakeSsm.js';
import { ModelEnsemble } from '../../support/modelEnsemble.js';
import { modelHost } from '../../../lib/sim/modelFleet.js';
import { modelDeps } from '../../support/modelPorts.js';
import { T0 } from '../../support/world.js';

// The SSM StateStore at the SDK command level.

const noWait = { attempts: 4, baseDelayMs: 10, sleep: async () => undefined };

function setup() {
  const ssm = new FakeSsm();
  const delays: number[] = [];
  const store = new SsmStateStore(ssm.client, '/zk-autoscaler', { ...noWait, sleep: async (ms: number) => void delays.push(ms) });
  return { ssm, store, delays };
}

describe('SsmStateStore', () => {
  it('reads spec, state, requests and connect strings in one GetParameters, then reads the state afresh', async () => {
    const { ssm, store } = setup();
    await store.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders' }));
    const lease = await store.acquireLease('orders', 'a', 60_000, Date.now());
    if (!lease) throw new Error('lease');
    await store.writeState('orders', initialState('orders'), lease);
    await store.releaseLease(lease);
    ssm.mock.resetHistory();
    await store.readSpec('orders');
    expect((await store.readState('orders'))?.state.cluster).toBe('orders');
    expect(await store.readRequests('orders')).toEqual([]);
    expect(ssm.mock.commandCalls(GetParametersCommand).map((c) => c.args[0].input.Names)).toEqual([
      ['spec', 'state', 'requests', 'connect-string', 'connect-string-read-mostly'].map((leaf) => `/zk-autoscaler/orders/${leaf}`),
    ]);
    expect(ssm.mock.commandCalls(GetParameterCommand)).toHaveLength(0);
    await store.readState('orders'); // the re-read under a lease: SSM's value, not the one read with the spec
    expect(ssm.mock.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name)).toEqual(['/zk-autoscaler/orders/state']);
  });

  it('names the malformed state when it is read, not when the spec is', async () => {
    const { ssm, store } = setup();
    await store.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders' }));
    ssm.set('/zk-autoscaler/orders/state', '{"cluster": 7}');
    expect((await store.readSpec('orders')).cluster).toBe('orders');
    await expect(store.readState('orders')).rejects.toThrow(/state parameter \/zk-autoscaler\/orders\/state/);
  });

  it('retries throttling with growing backoff, then gives up with a typed error naming the call', async () => {
    const { ssm, store, delays } = setup();
    await store.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders' }));
    ssm.throttle.set('GetParameters', 2);
    expect((await store.readSpec('orders')).cluster).toBe('orders');
    expect(delays).toHaveLength(2);
    ssm.throttle.set('GetParameters', 10);
    delays.length = 0;
    const failed = store.readSpec('orders');
    await expect(failed).rejects.toThrow(AwsCallError);
    await expect(failed).rejects.toThrow('ssm GetParameters /zk-autoscaler/orders/spec failed: ThrottlingException');
    expect(delays).toHaveLength(3); // 4 attempts: 3 waits, then the error
  });

  it('waits longer before each retry: full jitter under a cap that doubles (10, 20, 40 ms from a 10 ms base)', async () => {
    const { ssm, store, delays } = setup();
    await store.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders' }));
    const rounds = 200;
    const byRetry: number[][] = [[], [], []];
    for (let round = 0; round < rounds; round++) {
      delays.length = 0;
      ssm.throttle.set('GetParameters', 3);
      await store.readSpec('orders');
      expect(delays).toHaveLength(3);
      delays.forEach((ms, retry) => byRetry[retry]?.push(ms));
    }
    const caps = [10, 20, 40];
    const highest = byRetry.map((ms) => Math.max(...ms));
    const mean = byRetry.map((ms) => ms.reduce((a, b) => a + b, 0) / ms.length);
    // Each wait is drawn from [0, cap): never above the cap of its retry.
    highest.forEach((ms, retry) => expect(ms).toBeLessThan(caps[retry] as number));
    // And the caps grow: of 200 uniform draws each, the highest of a later retry passes the earlier
    // cap (each miss has probability 2^-200), and the mean roughly doubles (5, 10, 20 ms expected).
    expect(highest[1]).toBeGreaterThan(caps[0] as number);
    expect(highest[2]).toBeGreaterThan(caps[1] as number);
    expect(mean[1]).toBeGreaterThan(1.4 * (mean[0] as number));
    expect(mean[2]).toBeGreaterThan(1.4 * (mean[1] as number));
  });

  it('refuses a state its next read could not parse (a version-1 member list), before writing anything', async () => {
    const { ssm, store } = setup();
    const lease = await store.acquireLease('orders', 'a', 60_000, Date.now());
    if (!lease) throw new Error('lease');
    const stale = { ...initialState('orders'), members: Array.from({ length: 120 }, (_, i) => ({ serverId: i + 1, zone: 'eu-west-1a', launchedAt: T0 })) };
    await expect(store.writeState('orders', stale, lease)).rejects.toThrow('invalid state of orders to be written: (root): unknown key "members"');
    expect(ssm.writes).not.toContain('/zk-autoscaler/orders/state');
  });

  it('keeps the lease with the valid claim even when a losing claim wrote after it', async () => {
    const { ssm, store } = setup();
    const now = Date.now();
    await store.acquireLease('orders', 'seed', 1, now - 10_000); // version 1, long expired
    const a = await store.acquireLease('orders', 'a', 60_000, now); // version 2, basedOn 1: valid
    // A loser that read version 1 too writes after a: version 3, basedOn 1: invalid.
    await ssm.client.send(new PutParameterCommand({ Name: '/zk-autoscaler/orders/lease', Value: JSON.stringify({ holder: 'b', expiresAt: now + 60_000, basedOn: 1 }), Overwrite: true }));
    if (!a) throw new Error('a holds');
    await store.writeState('orders', initialState('orders'), a);
    expect(await store.acquireLease('orders', 'c', 60_000, now)).toBeUndefined();
    expect((await store.readState('orders'))?.state.cluster).toBe('orders');
  });

  it('overwrites the state on each write under the lease, and refuses a write once the lease is another\'s or was never claimed, naming the holder', async () => {
    const { store } = setup();
    const now = Date.now();
    const a = await store.acquireLease('orders', 'a', 1_000, now);
    if (!a) throw new Error('lease');
    await store.writeState('orders', initialState('orders', 4), a);
    await store.writeState('orders', initialState('orders', 5), a);
    expect((await store.readState('orders'))?.state.nextServerId).toBe(5);
    await store.acquireLease('orders', 'b', 60_000, now + 2_000); // a's lease expired: b takes over
    await expect(store.writeState('orders', initialState('orders', 6), a)).rejects.toThrow('lease on orders lost (token 1, now held by b): nothing written');
    await expect(store.writeState('billing', initialState('billing'), { ...a, cluster: 'billing' })).rejects.toThrow('lease on billing lost (token 1, now held by nobody): nothing written');
    expect((await store.readState('orders'))?.state.nextServerId).toBe(5);
  });

  it('writes nothing when its first claim loses the race to create the lease, and reports a first claim SSM refused', async () => {
    const { ssm, store } = setup();
    const name = '/zk-autoscaler/orders/lease';
    const now = Date.now();
    // A rival creates the parameter between this claim's read (absent) and its create.
    ssm.beforePut = (n) => {
      ssm.beforePut = undefined;
      if (n === name) ssm.set(n, JSON.stringify({ holder: 'rival', expiresAt: now + 60_000, basedOn: 0 }));
    };
    expect(await store.acquireLease('orders', 'a', 60_000, now)).toBeUndefined();
    expect(ssm.params.get(name)?.map((v) => JSON.parse(v.value).holder)).toEqual(['rival']);
    // Anything else SSM answers is an error, not "someone else holds it".
    ssm.throttle.set('PutParameter', 10);
    await expect(store.acquireLease('billing', 'a', 60_000, now)).rejects.toThrow(AwsCallError);
  });

  it('answers a claim SSM refuses with TooManyUpdates (another claim at the same instant) with no lease, and any other refusal with an error', async () => {
    const { ssm, store } = setup();
    const now = Date.now();
    const first = await store.acquireLease('orders', 'a', 1_000, now);
    if (!first) throw new Error('lease');
    const refuse = (err: Error) => {
      ssm.beforePut = () => {
        ssm.beforePut = undefined;
        throw err;
      };
    };
    refuse(new TooManyUpdates({ message: 'Too many updates to the parameter', $metadata: {} }));
    expect(await store.acquireLease('orders', 'b', 60_000, now + 2_000)).toBeUndefined();
    refuse(Object.assign(new Error('no'), { name: 'InternalServerError' }));
    await expect(store.acquireLease('orders', 'b', 60_000, now + 2_000)).rejects.toThrow(AwsCallError);
    // Neither refusal changed the lease: a's (expired) record is still the valid one.
    expect(ssm.params.get('/zk-autoscaler/orders/lease')).toHaveLength(1);
  });

  it('lets another holder claim the lease at the very millisecond it expires, not one before', async () => {
    const { store } = setup();
    const now = Date.now();
    const a = await store.acquireLease('orders', 'a', 1_000, now);
    expect(await store.acquireLease('orders', 'c', 1_000, now + 999)).toBeUndefined();
    const b = await store.acquireLease('orders', 'b', 60_000, now + 1_000);
    expect([a?.token, b?.token]).toEqual([1, 2]);
    expect(await store.acquireLease('orders', 'c', 1_000, now + 60_999)).toBeUndefined();
    expect(await store.acquireLease('orders', 'c', 1_000, now + 61_000)).toMatchObject({ holder: 'c', token: 3 });
  });

  it('gets no lease when another claim overtook it between its read and its write', async () => {
    const { ssm, store } = setup();
    const name = '/zk-autoscaler/orders/lease';
    const now = Date.now();
    await store.acquireLease('orders', 'seed', 1, now - 10_000); // version 1, expired
    ssm.beforePut = (n) => {
      ssm.beforePut = undefined;
      if (n === name) ssm.set(n, JSON.stringify({ holder: 'rival', expiresAt: now + 60_000, basedOn: 1 })); // version 2, valid
    };
    expect(await store.acquireLease('orders', 'a', 60_000, now)).toBeUndefined(); // its write is version 3, based on 1
    expect(await store.acquireLease('orders', 'c', 60_000, now)).toBeUndefined(); // the rival holds
    expect(await store.holdsLease({ cluster: 'orders', holder: 'rival', token: 2, expiresAt: now + 60_000 }, now)).toBe(true);
  });

  it('releases only its own lease: a release after another holder took over changes nothing', async () => {
    const { ssm, store } = setup();
    const now = Date.now();
    const a = await store.acquireLease('orders', 'a', 1_000, now);
    const b = await store.acquireLease('orders', 'b', 60_000, now + 2_000);
    if (!a || !b) throw new Error('lease');
    const before = ssm.writes.length;
    await store.releaseLease(a);
    expect(ssm.writes.length).toBe(before);
    expect(await store.holdsLease(b, now + 3_000)).toBe(true);
    await store.releaseLease(b);
    expect(await store.holdsLease(b, now + 3_000)).toBe(false);
  });

  it('reads the history only when the latest lease record is not the valid one, newest valid first', async () => {
    const { ssm, store } = setup();
    const name = '/zk-autoscaler/orders/lease';
    const now = Date.now();
    const a = await store.acquireLease('orders', 'a', 60_000, now);
    if (!a) throw new Error('lease');
    ssm.mock.resetHistory();
    expect(await store.holdsLease(a, now)).toBe(true);
    expect(ssm.mock.commandCalls(GetParameterHistoryCommand)).toHaveLength(0);
    // Later claims: b valid at version 2, then 40 losing writes based on version 1.
    const b = await store.acquireLease('orders', 'b', 60_000, now + 61_000);
    if (!b) throw new Error('lease');
    ssm.mock.resetHistory();
    expect(await store.holdsLease(b, now + 62_000)).toBe(true); // version 2, based on 1: valid as it is
    expect(ssm.mock.commandCalls(GetParameterHistoryCommand)).toHaveLength(0);
    for (let i = 0; i < 40; i++) ssm.set(name, JSON.stringify({ holder: `loser-${i}`, expiresAt: now + 120_000, basedOn: 1 }));
    ssm.mock.resetHistory();
    expect(await store.holdsLease(b, now + 62_000)).toBe(true);
    expect(ssm.mock.commandCalls(GetParameterHistoryCommand).length).toBeGreaterThan(0);
    expect(await store.acquireLease('orders', 'c', 60_000, now + 62_000)).toBeUndefined();
  });

  it('names a malformed lease parameter, and releases nothing when no valid record is left among the versions SSM keeps', async () => {
    const { ssm, store } = setup();
    const name = '/zk-autoscaler/orders/lease';
    const now = Date.now();
    const lease = { cluster: 'orders', holder: 'a', token: 1, expiresAt: now + 60_000 };
    ssm.set(name, 'not json');
    await expect(store.holdsLease(lease, now)).rejects.toThrow(/parameter \/zk-autoscaler\/orders\/lease/);
    ssm.set(name, JSON.stringify({ holder: 'a' }));
    await expect(store.holdsLease(lease, now)).rejects.toThrow(/lease parameter \/zk-autoscaler\/orders\/lease: expiresAt/);
    for (let i = 0; i < 100; i++) ssm.set(name, JSON.stringify({ holder: `loser-${i}`, expiresAt: now + 60_000, basedOn: 0 }));
    const before = ssm.writes.length;
    await store.releaseLease({ ...lease, token: 101 });
    expect(ssm.writes.length).toBe(before);
    expect(await store.holdsLease({ ...lease, token: 101 }, now)).toBe(false);
  });

  it('puts back a request another operator wrote between its read and its write, and says so when it cannot get in', async () => {
    const { ssm, store } = setup();
    const name = '/zk-autoscaler/orders/requests';
    const theirs = { id: 'theirs', kind: 'replace' as const, serverId: 2, reason: 'disk', at: 1 };
    ssm.beforePut = (n) => {
      ssm.beforePut = undefined;
      if (n === name) ssm.set(n, JSON.stringify([theirs]));
    };
    await store.addRequest('orders', { id: 'ours', kind: 'report', serverId: 3, reason: 'slow', at: 2 });
    expect((await store.readRequests('orders')).map((r) => r.id)).toEqual(['theirs', 'ours']);

    let n = 0;
    ssm.beforePut = (p) => ssm.set(p, JSON.stringify([{ ...theirs, id: `rival-${n++}` }]));
    await expect(store.addRequest('orders', { id: 'late', kind: 'report', serverId: 3, reason: 'slow', at: 3 })).rejects.toThrow(RequestNotRecordedError);
  });

  it('publishes the connect strings only when they change', async () => {
    const { ssm, store } = setup();
    await store.publishConnectString('orders', () => ({ clients: 'a:2181', readMostly: 'b:2181' }));
    await store.publishConnectString('orders', () => ({ clients: 'a:2181', readMostly: 'b:2181' }));
    expect(ssm.writes.filter((n) => n.includes('connect-string'))).toHaveLength(2);
  });

  it('writes nothing at all on a steady tick', async () => {
    const { ssm, store } = setup();
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a' }] });
    await store.writeSpec('orders', spec);
    const lease = await store.acquireLease('orders', 'setup', 1000, Date.now());
    if (!lease) throw new Error('lease');
    await store.writeState('orders', { ...initialState('orders', 4), leader: { serverId: 1, changes: [] } }, lease);
    await store.releaseLease(lease);
    const everyone = [1, 2, 3].map((id) => `${modelHost(id)}:2181`).join(',');
    await store.publishConnectString('orders', () => ({ clients: everyone, readMostly: everyone }));
    const model = new ModelEnsemble(spec, [1, 2, 3]);
    const deps = modelDeps(store, new Map([['orders', model]]));
    const before = ssm.writes.length;
    const result = await tickCluster(deps, 'orders', { kind: 'schedule' });
    expect(result.outcome).toBe('steady');
    expect(ssm.writes.slice(before)).toEqual([]);
  });

  it('ticks every cluster under the prefix: one with a malformed spec is reported, the other still heals', async () => {
    const { ssm, store } = setup();
    const models = new Map<string, ModelEnsemble>();
    for (const cluster of ['billing', 'orders']) {
      const spec = ClusterSpecSchema.parse({ cluster, zones: [{ name: 'a' }] });
      await store.writeSpec(cluster, spec);
      models.set(cluster, new ModelEnsemble(spec, [1, 2, 3]));
    }
    ssm.set('/zk-autoscaler/billing/spec', JSON.stringify({ cluster: 'billing', voters: { desired: 4 } }));
    const down = models.get('orders')?.servers.get(2);
    if (down) down.state = 'stopped';
    const deps = modelDeps(store, models);
    const results = await runTick(deps, { kind: 'schedule' });
    expect(results.map((r) => [r.cluster, r.outcome])).toEqual([['billing', 'failed'], ['orders', 'acted']]);
    expect(results[0]?.why).toBe('invalid spec parameter /zk-autoscaler/billing/spec: voters.desired: must be odd (set allowEven to allow even voter counts) (got 4)');
    expect(results[1]?.step).toMatchObject({ kind: 'launch', serverId: 4 });
  });
});

