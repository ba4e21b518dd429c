import { describe, expect, it } from 'vitest';
import { jsonLog } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema, initialState } from '../../lib/config/index.js';
import { adminServerFor, runTick, tickCluster, type Deps } from '../../lib/controller/index.js';
import type { EnsembleSession, StateStore } from '../../lib/ports/index.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelHost } from '../../lib/sim/modelFleet.js';
import type { ServerId } from '../../lib/core/index.js';
import { modelDeps } from '../support/modelPorts.js';
import { config, instance, hostOf, serving, testSpec } from '../support/world.js';

// The controller tick with in-memory adapters: what it writes, when it takes the lease, and how it
// keeps clusters apart.

interface Counting {
  readonly store: StateStore;
  readonly calls: string[];
}

function counting(store: MemoryStateStore): Counting {
  const calls: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, key: string) {
      const value = (target as unknown as Record<string, unknown>)[key];
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(key);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, calls };
}

async function setup(clusters: string[]) {
  const memory = new MemoryStateStore();
  const models = new Map<string, ModelEnsemble>();
  const acts: string[] = [];
  for (const cluster of clusters) {
    const spec = ClusterSpecSchema.parse({ cluster, zones: [{ name: 'a' }] });
    await memory.writeSpec(cluster, spec);
    const model = new ModelEnsemble(spec, [1, 2, 3]);
    models.set(cluster, model);
    const lease = await memory.acquireLease(cluster, 'setup', 1000, Date.now());
    if (!lease) throw new Error('lease');
    await memory.writeState(cluster, { ...initialState(cluster, 4), leader: { serverId: 1, changes: [] } }, lease);
    await memory.releaseLease(lease);
  }
  const { store, calls } = counting(memory);
  const deps = modelDeps(store, models, (cluster, what) => {
    acts.push(what);
    // Write-ahead: by the time the controller acts, the operation is already in the state.
    void memory.readState(cluster).then((s) => acts.push(s?.state.operation ? `${what}:persisted` : `${what}:NOT-persisted`));
  });
  return { memory, models, deps, calls, acts };
}

/** The same deps, with every admin session the tick opens (to `connect`) changed by `wrap`. */
function wrappingSessions(deps: Deps, wrap: (session: EnsembleSession, connect: string) => EnsembleSession): Deps {
  return {
    ...deps,
    portsFor: async (cluster, spec) => {
      const ports = await deps.portsFor(cluster, spec);
      return { ...ports, ensemble: { open: async (connect) => wrap(await ports.ensemble.open(connect), connect) } };
    },
  };
}

/** The same deps, with every admin session's confirmWrite recorded in `acts` and made to fail
 * while `failing.now` is true. */
function confirming(deps: Deps, acts: string[], failing: { now: boolean }): Deps {
  return wrappingSessions(deps, (session) => ({
    ...session,
    confirmWrite: async () => {
      acts.push('confirmWrite');
      if (failing.now) throw new Error('confirmation write timed out');
    },
  }));
}

describe('the controller tick', () => {
  it('writes nothing and takes no lease on a steady tick', async () => {
    const { deps, calls } = await setup(['orders']);
    const result = await tickCluster(deps, 'orders', { kind: 'schedule' });
    expect(result.outcome).toBe('steady');
    expect(calls.filter((c) => ['acquireLease', 'writeState', 'writeSpec'].includes(c))).toEqual([]);
  });

  it('persists the operation before it acts, under the lease, and releases the lease after', async () => {
    const { deps, calls, acts, memory } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }] }));
    const result = await tickCluster(deps, 'orders', { kind: 'schedule' });
    expect(result.outcome).toBe('acted');
    expect(calls.filter((c) => ['acquireLease', 'writeState', 'releaseLease'].includes(c))).toEqual(['acquireLease', 'writeState', 'releaseLease']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(acts).toEqual(['launch', 'launch:persisted']);
  });

  it('changes nothing while another controller holds the lease', async () => {
    const { deps, memory, acts, calls } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }] }));
    await memory.acquireLease('orders', 'someone-else', 60_000, Date.now());
    const lines: string[] = [];
    const logged = { ...deps, log: jsonLog((line) => lines.push(line), 'info') };
    expect(await tickCluster(logged, 'orders', { kind: 'schedule' })).toMatchObject({ outcome: 'lease-held', why: 'another controller holds the lease' });
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toContain('another controller holds the lease: changing nothing');
    expect(acts).toEqual([]);
    expect(calls.filter((c) => ['writeState', 'releaseLease'].includes(c))).toEqual([]);
  });

  it('claims the lease in the name of this controller and this tick, for the configured time from now', async () => {
    const { deps, memory } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }] }));
    const claims: Parameters<StateStore['acquireLease']>[] = [];
    const store = new Proxy(deps.store, {
      get(target, key: string) {
        const value = (target as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (key === 'acquireLease') claims.push(args as Parameters<StateStore['acquireLease']>);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const now = 1_800_000_000_000;
    const result = await tickCluster({ ...deps, store, holder: 'controller-x', leaseTtlMs: 90_000, clock: () => now }, 'orders', { kind: 'schedule' });
    expect(result.outcome).toBe('acted');
    expect(claims).toEqual([['orders', `controller-x:${result.tickId}`, 90_000, now]]);
  });

  it('writes a changed state under the lease without acting when the step is to wait', async () => {
    const { deps, models, acts, calls } = await setup(['orders']);
    const down = models.get('orders')?.servers.get(2);
    if (down) down.crashed = true; // its JVM gone, its instance running: one missed probe, suspect
    const result = await tickCluster(deps, 'orders', { kind: 'schedule' });
    expect(result.outcome).toBe('waited');
    expect(calls.filter((c) => ['acquireLease', 'writeState', 'releaseLease'].includes(c))).toEqual(['acquireLease', 'writeState', 'releaseLease']);
    expect(acts).toEqual([]);
  });

  it('re-reads the state under its lease and changes nothing when another controller acted since its first read', async () => {
    const { deps, memory, acts, calls } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }] }));
    // Between this tick's read and its claim, another controller takes the lease, writes, releases.
    const racing = new Proxy(deps.store, {
      get(target, key: string) {
        const value = (target as unknown as Record<string, unknown>)[key];
        if (key !== 'acquireLease') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<StateStore['acquireLease']>) => {
          const theirs = await memory.acquireLease('orders', 'another-controller', 60_000, Date.now());
          if (!theirs) throw new Error('lease');
          const stored = await memory.readState('orders');
          await memory.writeState('orders', { ...(stored?.state ?? initialState('orders')), nextServerId: 9 }, theirs);
          await memory.releaseLease(theirs);
          return target.acquireLease(...args);
        };
      },
    });
    const result = await tickCluster({ ...deps, store: racing }, 'orders', { kind: 'schedule' });
    expect(result).toMatchObject({ outcome: 'lease-held', why: 'the state changed since it was read: another controller acted; next tick re-plans' });
    expect(acts).toEqual([]);
    expect(calls.filter((c) => c === 'writeState')).toEqual([]);
    expect((await memory.readState('orders'))?.state.nextServerId).toBe(9);
  });

  it('carries out a reconfig step, and reports a paused cluster as waiting', async () => {
    const { deps, memory, models } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }] }));
    const model = models.get('orders') as ModelEnsemble;
    const steps: string[] = [];
    for (let i = 0; i < 10 && !steps.includes('reconfig'); i++) {
      const next = await tickCluster(deps, 'orders', { kind: 'manual', command: 'plan' }, { dryRun: true });
      if (next.step?.kind === 'reconfig') {
        // Not with less left of the lease than a reconfig may take (20 s).
        const short = await tickCluster({ ...deps, leaseTtlMs: 19_000, clock: () => 1_800_000_000_000 }, 'orders', { kind: 'schedule' });
        expect(short.why).toBe('reconfig on orders not started: the lease has 19000 ms left and the step may take 20000 ms');
        expect(model.config.members.map((m) => m.serverId)).not.toContain(4);
      }
      const lines: string[] = [];
      const r = await tickCluster({ ...deps, log: jsonLog((line) => lines.push(line), 'info') }, 'orders', { kind: 'schedule' });
      model.tick++; // the launched server boots a model tick later
      steps.push(r.step?.kind ?? r.outcome);
      if (r.step?.kind === 'reconfig') {
        expect(r.outcome).toBe('acted');
        const committed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'reconfig committed (reply)');
        expect(committed).toMatchObject({ outcome: 'committed', members: '1:voter,2:voter,3:voter,4:voter' });
        expect(committed?.configVersion).toMatch(/^[0-9a-f]+$/);
      }
    }
    expect(steps).toContain('reconfig');
    expect(model.config.members.map((m) => m.serverId)).toContain(4);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }], paused: true }));
    await tickCluster(deps, 'orders', { kind: 'schedule' });
    expect(await tickCluster(deps, 'orders', { kind: 'schedule' })).toMatchObject({ outcome: 'waited', step: { kind: 'wait', blockedBy: 'paused' } });
  });

  it.each([
    ['no launch template', undefined, ''],
    ['launch template version 3', { id: 'lt-0abc', version: '3' }, '3'],
  ])('follows a launch EC2 put in another zone than asked: the operation moves there and the full zone is avoided (%s)', async (_, launchTemplate, template) => {
    const { deps, memory, calls } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }, { name: 'b' }], launchTemplate }));
    const asked: string[] = [];
    const fallback: Deps = {
      ...deps,
      portsFor: async (cluster, spec) => {
        const ports = await deps.portsFor(cluster, spec);
        const elsewhere = (zone: string): string => (zone === 'a' ? 'b' : 'a');
        return { ...ports, fleet: { ...ports.fleet, launch: async (r) => (asked.push(r.zone), ports.fleet.launch({ ...r, zone: elsewhere(r.zone) })) } };
      },
    };
    const result = await tickCluster(fallback, 'orders', { kind: 'schedule' });
    expect(result.outcome).toBe('acted');
    const state = (await memory.readState('orders'))?.state;
    const [zone] = asked;
    expect(state?.operation).toMatchObject({ serverId: 4, zone: zone === 'a' ? 'b' : 'a' });
    expect(state?.zonesAvoided.map((z) => z.zone)).toEqual([zone]);
    // The move is noted against the template the server was launched from (spread repair waits after it).
    expect(state?.launchFailures).toMatchObject({ count: 0, faulty: 0, template });
    expect(calls.filter((c) => ['acquireLease', 'writeState', 'releaseLease'].includes(c))).toEqual(['acquireLease', 'writeState', 'writeState', 'releaseLease']);
  });

  it('starts no launch its lease would not outlast (60 s), and logs each launch', async () => {
    const { deps, memory, acts } = await setup(['orders']);
    await memory.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }] }));
    const short = await tickCluster({ ...deps, leaseTtlMs: 59_000, clock: () => 1_800_000_000_000 }, 'orders', { kind: 'schedule' });
    expect(short.outcome).toBe('failed');
    expect(short.why).toBe('launch on orders not started: the lease has 59000 ms left and the step may take 60000 ms');
    expect(acts.filter((a) => !a.includes(':'))).toEqual([]);
    const lines: string[] = [];
    const done = await tickCluster({ ...deps, log: jsonLog((line) => lines.push(line), 'info') }, 'orders', { kind: 'schedule' });
    expect(done).toMatchObject({ outcome: 'acted', step: { kind: 'launch', serverId: 4 } });
    const launched = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'launched server 4');
    expect(launched).toMatchObject({ serverId: 4, instanceId: 'i-4', zone: 'a' });
  });

  it('reports a cluster with a malformed spec and still heals the others', async () => {
    const { deps, memory, models } = await setup(['broken', 'healthy']);
    memory.plantSpec('broken', JSON.stringify({ cluster: 'broken', voters: { desired: 'three' } }));
    const healthy = models.get('healthy') as ModelEnsemble;
    const victim = healthy.servers.get(2);
    if (victim) victim.state = 'stopped';
    const results = await runTick(deps, { kind: 'schedule' });
    const byCluster = Object.fromEntries(results.map((r) => [r.cluster, r]));
    expect(byCluster.broken).toMatchObject({ outcome: 'failed' });
    expect(byCluster.broken?.why).toMatch(/voters\.desired: Invalid input: expected number, received string \(got "three"\)/);
    expect(byCluster.healthy).toMatchObject({ outcome: 'acted', step: { kind: 'launch', serverId: 4 } });
  });

  it('sends credentials only through a member the fleet runs at the address the config names, and that the change leaves alone', () => {
    const spec = testSpec();
    const c = config(spec, [1, 2, 3]);
    const probes = [serving(1, 'leader'), serving(2, 'follower'), serving(3, 'follower')];
    const all = [instance(1), instance(2), instance(3)];
    expect(adminServerFor(c, probes, all, (id) => id !== 3, 1)?.serverId).toBe(1);
    expect(adminServerFor(c, probes, all, (id) => id !== 1, undefined)?.serverId).toBe(2); // a follower before the leader
    // Server 2's instance is elsewhere, 3's is not listed at all: whoever answers at their addresses gets nothing.
    const moved = [instance(1), { ...instance(2), host: hostOf(12) }];
    expect(adminServerFor(c, probes, moved, (id) => id !== 1, undefined)).toBeUndefined();
    expect(adminServerFor(c, probes, [...moved, instance(3, 'stopped')], () => true, undefined)?.serverId).toBe(1);
  });

  it('stops a server only after a write went through the quorum, and not at all when that write fails', async () => {
    const { deps, models, acts } = await setup(['orders']);
    const model = models.get('orders') as ModelEnsemble;
    // Server 9 runs outside the config (a stray): the tick's step is to stop it.
    model.apply({ kind: 'launch', serverId: 9, role: 'observer', zone: 'a', operationId: 'stray', why: '' });
    const failing = { now: true };
    const refused = await tickCluster(confirming(deps, acts, failing), 'orders', { kind: 'schedule' });
    expect(refused.outcome).toBe('failed');
    const calls = (): string[] => acts.filter((a) => !a.includes(':')); // without setup's write-ahead notes
    expect(calls()).toEqual(['confirmWrite']);
    expect(model.servers.get(9)?.state).toBe('running');

    failing.now = false;
    // Not with less left of the lease than a terminate may take (45 s).
    const short = await tickCluster({ ...confirming(deps, acts, failing), leaseTtlMs: 44_000, clock: () => 1_800_000_000_000 }, 'orders', { kind: 'schedule' });
    expect(short.why).toBe('terminate on orders not started: the lease has 44000 ms left and the step may take 45000 ms');
    expect(calls()).toEqual(['confirmWrite']);
    const lines: string[] = [];
    const done = await tickCluster({ ...confirming(deps, acts, failing), log: jsonLog((line) => lines.push(line), 'info') }, 'orders', { kind: 'schedule' });
    expect(done).toMatchObject({ outcome: 'acted', step: { kind: 'terminate', serverId: 9 } });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'terminated server 9')).toMatchObject({ serverId: 9 });
    expect(calls()).toEqual(['confirmWrite', 'confirmWrite', 'terminate']);
    expect(model.servers.get(9)?.state).toBe('terminated');
  });

  it('sends a reconfig through a member the change leaves alone, even when the config was read through the member it removes', async () => {
    const { deps, memory, models } = await setup(['orders']);
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 3 }, zones: [{ name: 'a' }] });
    models.set('orders', new ModelEnsemble(spec, [1, 2, 3, 4, 5]));
    const planned = await tickCluster(deps, 'orders', { kind: 'manual', command: 'plan' }, { dryRun: true });
    const removed = planned.step?.kind === 'reconfig' && planned.step.change.kind === 'incremental' ? planned.step.change.remove : [];
    expect(removed).toHaveLength(1);
    const leaving = `${modelHost(removed[0] as ServerId)}:${spec.zookeeper.clientPort}`;

    // The leaving member answers the config read first, so the tick's own session is to it.
    const calls: string[] = [];
    let opened = 0;
    const lines: string[] = [];
    const routed = wrappingSessions({ ...deps, log: jsonLog((line) => lines.push(line), 'info') }, (session, connect) => {
      const n = ++opened;
      return {
        ...session,
        readConfig: async () => {
          if (connect !== leaving) await new Promise((resolve) => setTimeout(resolve, 20));
          calls.push(`read ${connect}`);
          return session.readConfig();
        },
        reconfig: async (change, from) => {
          calls.push(`reconfig ${connect}`, `sent on session ${n}`);
          return session.reconfig(change, from);
        },
        close: async () => {
          calls.push(`close session ${n}`);
          if (calls.includes(`sent on session ${n}`)) throw new Error('socket already gone');
        },
      };
    });
    expect(await tickCluster(routed, 'orders', { kind: 'schedule' })).toMatchObject({ outcome: 'acted', step: { kind: 'reconfig' } });
    expect(calls[0]).toBe(`read ${leaving}`);
    const via = calls.filter((c) => c.startsWith('reconfig '));
    expect(via).toHaveLength(1);
    expect(via[0]).not.toBe(`reconfig ${leaving}`);
    expect(via[0]).toMatch(new RegExp(`^reconfig 10\\.0\\.[1-5]\\.10:${spec.zookeeper.clientPort}$`));
    // The session opened for the reconfig is closed before the tick ends; a close that fails is a warning.
    const session = calls.find((c) => c.startsWith('sent on session '))?.slice('sent on session '.length);
    expect(calls).toContain(`close session ${session}`);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'admin session did not close cleanly')).toMatchObject({ level: 'warn', error: expect.objectContaining({ message: 'socket already gone' }) });
    expect((await memory.readState('orders'))?.state.operation).toMatchObject({ kind: 'remove', serverId: removed[0] });
  });

  it('logs the boot log of a joiner that never joined when it stops it, and reads no boot log for other stops', async () => {
    const { deps, memory, models } = await setup(['orders']);
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 5 }, zones: [{ name: 'a' }], operationTimeoutSeconds: 30 });
    await memory.writeSpec('orders', spec);
    models.set('orders', new ModelEnsemble(spec, [1, 2, 3], { launchTicks: 1, syncTicks: 0, boots: (id) => (id === 4 ? 'never' : 'boots') }));
    const lines: string[] = [];
    let now = 1_800_000_000_000;
    const at: Deps = { ...deps, clock: () => now, log: jsonLog((line) => lines.push(line), 'info') };
    const read: number[] = [];
    const reading: Deps = {
      ...at,
      portsFor: async (cluster, s) => {
        const ports = await at.portsFor(cluster, s);
        return { ...ports, fleet: { ...ports.fleet, bootLog: async (id) => (read.push(id), ports.fleet.bootLog(id)) } };
      },
    };
    expect(await tickCluster(reading, 'orders', { kind: 'schedule' })).toMatchObject({ outcome: 'acted', step: { kind: 'launch', serverId: 4 } });
    // Server 4 never answers: once a step of its add outlasts operationTimeoutSeconds it is rolled back.
    const steps: string[] = [];
    for (let i = 0; i < 4 && !steps.includes('terminate'); i++) {
      now += 31_000;
      const r = await tickCluster(reading, 'orders', { kind: 'schedule' });
      steps.push(r.step?.kind ?? r.outcome);
    }
    expect(steps.at(-1)).toBe('terminate');
    expect(read).toEqual([4]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'server 4 failed to join: the last lines of its boot log follow');
    expect(logged).toMatchObject({ serverId: 4, bootLog: expect.stringContaining('model server 4') });

    // A stray is stopped without its boot log being read.
    (models.get('orders') as ModelEnsemble).apply({ kind: 'launch', serverId: 9, role: 'observer', zone: 'a', operationId: 'stray', why: '' });
    for (let i = 0; i < 4 && !steps.includes('terminate 9'); i++) {
      const r = await tickCluster(reading, 'orders', { kind: 'schedule' });
      if (r.step?.kind === 'terminate') steps.push(`terminate ${r.step.serverId}`);
    }
    expect(steps).toContain('terminate 9');
    expect(read).toEqual([4]);
  });

  it('logs a reconfig that did not commit as a warning with its cause, leaving the next tick to decide from what it sees', async () => {
    const { deps, models } = await setup(['orders']);
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', voters: { desired: 3 }, zones: [{ name: 'a' }] });
    const model = new ModelEnsemble(spec, [1, 2, 3, 4, 5]);
    models.set('orders', model);
    const planned = await tickCluster(deps, 'orders', { kind: 'manual', command: 'plan' }, { dryRun: true });
    const removed = planned.step?.kind === 'reconfig' && planned.step.change.kind === 'incremental' ? planned.step.change.remove : [];
    // A follower the removal leaves alone answers the config read first: the tick's own session is to it.
    const staying = `${modelHost([2, 3, 4].find((id) => !removed.includes(id)) as ServerId)}:${spec.zookeeper.clientPort}`;
    const lines: string[] = [];
    let sent = 0;
    const opened: string[] = [];
    const lost = wrappingSessions({ ...deps, log: jsonLog((line) => lines.push(line), 'info') }, (session, connect) => ({
      ...(opened.push(connect), session),
      readConfig: async () => {
        if (connect !== staying) await new Promise((resolve) => setTimeout(resolve, 20));
        return session.readConfig();
      },
      reconfig: async () => (sent++, { outcome: 'not-seen', config: model.config, cause: new Error('connection lost before the reply') }),
    }));
    expect(await tickCluster(lost, 'orders', { kind: 'schedule' })).toMatchObject({ outcome: 'acted', step: { kind: 'reconfig' } });
    // The reconfig goes through the session the config was read on: none is opened but the readers' (3).
    expect(opened).toHaveLength(3);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.message).startsWith('reconfig '));
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', message: 'reconfig not-seen: the next tick decides from what it sees', outcome: 'not-seen', cause: 'connection lost before the reply', members: '1:voter,2:voter,3:voter,4:voter,5:voter' })]);
    // The config still has the member: the next tick sends the same reconfig again, its state unchanged.
    expect(await tickCluster(lost, 'orders', { kind: 'schedule' })).toMatchObject({ outcome: 'acted', step: { kind: 'reconfig' } });
    expect(sent).toBe(2);
  });
});
