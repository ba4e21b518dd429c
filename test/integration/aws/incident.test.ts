import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { SsmStateStore } from '../../../lib/adapters/aws/ssmStateStore.js';
import { ClusterSpecSchema, initialState, parseTickEvent, type ClusterSpec } from '../../../lib/config/index.js';
import { handleTickEvent, tickCluster, type ClusterPorts, type Deps, type TickResult } from '../../../lib/controller/index.js';
import { voterIds, type MemberProbe } from '../../../lib/core/index.js';
import { LeaseExpiringError, LeaseLostError } from '../../../lib/errors.js';
import alarmSample from '../../../events/alarm-server-down.json' with { type: 'json' };
import { FakeSsm } from '../../support/fakeSsm.js';
import { ModelEnsemble } from '../../support/modelEnsemble.js';
import { modelDeps, modelPorts } from '../../support/modelPorts.js';

// The controller over SSM's semantics (4,096-character values, versions, no compare-and-swap) in the
// moments the AWS path exists for: an alarm storm while a voter is down, two invocations of the same
// function at once, a lease lost before a step, and a long steady stretch with load moving.

const noWait = { attempts: 4, baseDelayMs: 1, sleep: async () => undefined };
const CLUSTER = 'orders';

interface World {
  readonly ssm: FakeSsm;
  readonly store: SsmStateStore;
  readonly model: ModelEnsemble;
  readonly spec: ClusterSpec;
  readonly acts: string[];
  /** The controller of one invocation of the tick function (they share the function's name). */
  deps(overrides?: Partial<Deps> & { ports?: (ports: ClusterPorts) => ClusterPorts }): Deps;
  now: number;
}

async function world(specInput: Record<string, unknown> = {}): Promise<World> {
  const ssm = new FakeSsm();
  const w = { now: Date.now() } as World;
  const store = new SsmStateStore(ssm.client, '/zk-autoscaler', noWait, () => w.now);
  const spec = ClusterSpecSchema.parse({ cluster: CLUSTER, zones: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], ...specInput });
  await store.writeSpec(CLUSTER, spec);
  ssm.set(`/zk-autoscaler/${CLUSTER}/super-password`, 'a-password-of-at-least-24-chars', 'SecureString');
  const model = new ModelEnsemble(spec, [1, 2, 3]);
  const lease = await store.acquireLease(CLUSTER, 'setup', 1000, w.now);
  if (!lease) throw new Error('lease');
  await store.writeState(CLUSTER, { ...initialState(CLUSTER, 4), leader: { serverId: 1, changes: [] } }, lease);
  await store.releaseLease(lease);
  const acts: string[] = [];
  Object.assign(w, {
    ssm,
    store,
    model,
    spec,
    acts,
    deps: (overrides: Partial<Deps> & { ports?: (ports: ClusterPorts) => ClusterPorts } = {}) => {
      const { ports: wrap = (p: ClusterPorts) => p, ...rest } = overrides;
      return {
        ...modelDeps(store, new Map([[CLUSTER, model]])),
        holder: 'zk-autoscaler-dev-tick',
        clock: () => w.now,
        portsFor: async () => wrap(modelPorts(model, (what) => acts.push(what))),
        ...rest,
      };
    },
  });
  return w;
}

function alarm(serverId: number, reason: string): unknown {
  const event = structuredClone(alarmSample) as typeof alarmSample;
  event.alarmData.state.reason = reason;
  const metric = event.alarmData.configuration.metrics[0];
  if (metric) metric.metricStat.metric.dimensions = { service: 'zk-autoscaler', cluster: CLUSTER, serverId: String(serverId) };
  return event;
}

function voters(model: ModelEnsemble): number[] {
  return [...voterIds(model.config.members)].sort((a, b) => a - b);
}

describe('the controller on SSM, in an incident', () => {
  it('replaces a down voter through an alarm storm: 50 alarm reports in four minutes never make the state or the requests unwritable', async () => {
    const w = await world();
    const down = w.model.servers.get(2);
    if (!down) throw new Error('server 2');
    down.crashed = true; // the JVM hangs: its instance runs, its probes go unanswered
    const results: TickResult[] = [];
    // Long reasons with escapes and multi-byte text, as CloudWatch writes them and worse.
    const reason = `Threshold Crossed: 1 out of the last 1 datapoints [0.0 (01/12/26 12:00:00)] was less than the threshold (1.0) "é€😀" \u001b[31m${'x'.repeat(300)}`;
    for (let i = 0; i < 50; i++) {
      w.now += 5000;
      w.model.tick++;
      // Alarms name the members and servers the cluster never had: requests and reports must stay bounded.
      results.push(...(await handleTickEvent(w.deps(), parseTickEvent(alarm(1 + (i % 20), reason)), w.now)));
      expect(JSON.parse(w.ssm.params.get(`/zk-autoscaler/${CLUSTER}/requests`)?.at(-1)?.value ?? '[]').length).toBeLessThanOrEqual(16);
    }
    for (let i = 0; i < 30 && voters(w.model).includes(2); i++) {
      w.now += 5000;
      w.model.tick++;
      results.push(...(await handleTickEvent(w.deps(), parseTickEvent(alarm(2, reason)), w.now)));
    }
    expect(results.filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual([]);
    expect(voters(w.model)).toEqual([1, 3, 4]);
    const sizes = [...w.ssm.params].map(([name, versions]) => [name, Math.max(...versions.map((v) => Buffer.byteLength(v.value, 'utf8')))] as const);
    for (const [, size] of sizes) expect(size).toBeLessThanOrEqual(4096);
  });

  it('lets one of two invocations started at once act, and the other change nothing', async () => {
    const w = await world({ voters: { desired: 5 } });
    const [a, b] = await Promise.all([tickCluster(w.deps(), CLUSTER, { kind: 'schedule' }), tickCluster(w.deps(), CLUSTER, { kind: 'schedule' })]);
    expect([a?.outcome, b?.outcome].sort()).toEqual(['acted', 'lease-held']);
    expect(w.acts).toEqual(['launch']);
  });

  it('refuses a second invocation while the first is stuck in a slow launch, though both run as the same function', async () => {
    const w = await world({ voters: { desired: 5 } });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowLaunch = (ports: ClusterPorts): ClusterPorts => ({
      ...ports,
      fleet: { ...ports.fleet, launch: async (request) => (await gate, ports.fleet.launch(request)) },
    });
    const first = tickCluster(w.deps({ ports: slowLaunch }), CLUSTER, { kind: 'schedule' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    w.now += 2500;
    const second = await tickCluster(w.deps(), CLUSTER, { kind: 'schedule' });
    release();
    expect(second.outcome).toBe('lease-held');
    expect((await first).outcome).toBe('acted');
    expect(w.acts).toEqual(['launch']);
  });

  it('refuses to reconfigure once another controller holds its lease, and to start a step its lease would not outlast', async () => {
    const w = await world({ voters: { desired: 5 } });
    expect((await tickCluster(w.deps(), CLUSTER, { kind: 'schedule' })).outcome).toBe('acted'); // launches server 4
    w.model.tick++; // server 4 has synced: the next step is the reconfig adding it
    const leaseName = `/zk-autoscaler/${CLUSTER}/lease`;
    const takenOver: Deps['store'] = Object.create(w.store, {
      writeState: {
        value: async (...args: Parameters<SsmStateStore['writeState']>) => {
          await w.store.writeState(...args);
          // Between the write-ahead and the step, another controller's claim lands (a valid record).
          const version = w.ssm.params.get(leaseName)?.at(-1)?.version ?? 0;
          w.ssm.set(leaseName, JSON.stringify({ holder: 'another-deployment', expiresAt: w.now + 30_000, basedOn: version }));
        },
      },
    });
    const lost = await tickCluster(w.deps({ store: takenOver }), CLUSTER, { kind: 'schedule' });
    expect(lost.error).toBeInstanceOf(LeaseLostError);
    expect(w.acts).toEqual(['launch']);
    expect(voters(w.model)).toEqual([1, 2, 3]);

    w.now += 30_001; // the other claim expired; this tick's lease is too short for any step
    const short = await tickCluster(w.deps({ leaseTtlMs: 10_000 }), CLUSTER, { kind: 'schedule' });
    expect(short.error).toBeInstanceOf(LeaseExpiringError);
    expect(short.error?.message).toMatch(/^reconfig on orders not started: the lease has 10000 ms left and the step may take 20000 ms$/);
    expect(w.acts).toEqual(['launch']);
  });

  it('refuses to terminate a stray once its lease is lost', async () => {
    const w = await world();
    w.model.servers.set(9, { serverId: 9, state: 'running', zone: 'a', launchedAtTick: -100, crashed: false });
    const expired: Deps['store'] = Object.create(w.store, {
      writeState: {
        value: async (...args: Parameters<SsmStateStore['writeState']>) => {
          await w.store.writeState(...args);
          w.now += 300_001; // the tick stalled past its lease
        },
      },
    });
    const result = await tickCluster(w.deps({ store: expired }), CLUSTER, { kind: 'schedule' });
    expect(result.error).toBeInstanceOf(LeaseExpiringError);
    expect(result.why).toMatch(/^terminate on orders not started: the lease has -\d+ ms left/);
    expect(w.acts).toEqual([]);
    expect(w.model.servers.get(9)?.state).toBe('running');
  });

  it('writes nothing to SSM over 60 steady ticks while load and connections move', async () => {
    for (const connectStringSize of [0, 2]) {
      const w = await world({ connectStringSize });
      let seed = 7;
      const wobble = (): number => (seed = (seed * 48271) % 2147483647) % 500;
      const moving = (ports: ClusterPorts): ClusterPorts => ({
        ...ports,
        probe: {
          ...ports.probe,
          probe: async (targets) =>
            (await ports.probe.probe(targets)).map((p): MemberProbe =>
              p.result.status === 'serving' ? { ...p, result: { status: 'serving', health: { ...p.result.health, connections: wobble(), outstandingRequests: wobble() % 7, latencyMs: { min: 0, avg: wobble() / 100, max: 9 } } } } : p,
            ),
        },
      });
      await tickCluster(w.deps({ ports: moving }), CLUSTER, { kind: 'schedule' }); // publishes the connect strings once
      const before = w.ssm.mock.commandCalls(PutParameterCommand).length;
      const outcomes = new Set<string>();
      for (let i = 0; i < 60; i++) {
        w.now += 60_000;
        w.model.tick++;
        outcomes.add((await tickCluster(w.deps({ ports: moving }), CLUSTER, { kind: 'schedule' })).outcome);
      }
      expect(outcomes).toEqual(new Set(['steady']));
      expect(w.ssm.mock.commandCalls(PutParameterCommand).slice(before).map((c) => c.args[0].input.Name)).toEqual([]);
      expect(w.ssm.params.get(`/zk-autoscaler/${CLUSTER}/connect-string`)?.at(-1)?.value.split(',')).toHaveLength(connectStringSize || 3);
    }
  });
});
