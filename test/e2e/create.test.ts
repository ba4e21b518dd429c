import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { jsonLog, placeLocalCluster, processFleetFor } from '../../lib/adapters/local/index.js';
import { runCommand } from '../../lib/cli/commands.js';
import { createAndWait, CREATE_PACE } from '../../lib/cli/create.js';
import { ClusterSpecSchema, initialState } from '../../lib/config/index.js';
import { createStep } from '../../lib/controller/index.js';
import { buildLocalDeps, type LocalDeps } from '../../lib/wiring/index.js';
import { freeAddressPrefix } from '../support/addresses.js';
import { killedAfterFirstLaunch } from '../support/doubles.js';
import { trackDir } from '../support/ensemble.js';
import { waitFor } from '../support/wait.js';

// `create` on local mode, the same code path the tick and `npm start` run: a cluster from its spec
// alone, a creation that stopped after its first launch finished by running it again (no
// duplicate), and refusals that launch nothing when the cluster has state or servers.

async function newHome(): Promise<{ home: string; deps: LocalDeps; prefix: string; cli: (...args: string[]) => Promise<{ code: number; out: string; err: string }> }> {
  const home = mkdtempSync(join(inject('testRoot'), 'create-'));
  trackDir(home);
  const deps = buildLocalDeps({ home, log: jsonLog(() => undefined), holder: 'test' });
  const prefix = await freeAddressPrefix(2181);
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCommand([...args, '--home', home, '--cluster', 'fresh'], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    return { code, out: out.trim(), err: err.trim() };
  };
  return { home, deps, prefix, cli };
}

const SPEC = { cluster: 'fresh', zookeeper: { heapMb: 128, preAllocSizeKb: 4096 }, zones: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };

describe('create (local mode)', () => {
  it('starts the spec\'s voters, one per zone, as one ensemble, and refuses to create the cluster again', async () => {
    const { home, deps, prefix, cli } = await newHome();
    const specFile = join(home, 'spec.json');
    writeFileSync(specFile, JSON.stringify(SPEC));
    expect((await cli('spec', 'set', specFile)).code).toBe(0);

    const created = await cli('create', '--address-prefix', prefix);
    expect(created.err).toBe('');
    expect(created.out.split('\n')).toEqual([
      'created fresh: a quorum of the 3 initial voters serves; the controller manages fresh from now on',
      `  server 1  ${prefix}.1  voter`,
      `  server 2  ${prefix}.2  voter`,
      `  server 3  ${prefix}.3  voter`,
    ]);
    // create answers once a quorum serves; the third voter may still be syncing (a loaded machine).
    type Status = { voters: { count: number; synced: number }; members: { serverId: number; zone: string }[] };
    const status = await waitFor('3 synced voters', async () => {
      const s = JSON.parse((await cli('status', '--json')).out) as Status;
      return s.voters.synced === 3 ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(status.voters).toMatchObject({ count: 3, synced: 3 });
    expect(status.members.map((m) => [m.serverId, m.zone])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect((await cli('connect-string')).out.split('\n')[0]?.split(',')).toHaveLength(3);

    const again = await cli('create', '--address-prefix', prefix);
    expect(again).toMatchObject({ code: 2, err: 'zk-autoscaler: invalid create fresh: cluster: fresh was created before (its controller state exists); create never starts an ensemble over existing data' });
    expect(processFleetFor(deps.store, 'fresh', ClusterSpecSchema.parse(SPEC)).list().map((s) => s.serverId)).toEqual([1, 2, 3]);
  }, 90_000);

  it('finishes a creation that stopped after its first launch, with exactly the spec\'s servers', async () => {
    const { deps, prefix } = await newHome();
    placeLocalCluster(deps.store, 'fresh', { addressPrefix: prefix });
    await deps.store.writeSpec('fresh', ClusterSpecSchema.parse(SPEC));
    // The first run launches server 1 and stops there (the others' launches never happen).
    const stopped = killedAfterFirstLaunch(deps);
    const first = await createStep(stopped, 'fresh');
    expect(first.outcome).toBe('starting');
    expect(first.why).toMatch(/^0 of 3 voters serve \(none\); waiting for a quorum; server 2: .*killed; server 3: .*killed$/);
    expect(await deps.store.readState('fresh')).toBeUndefined();

    // The spec changed since: the servers to come would boot another membership than server 1's.
    const five = ClusterSpecSchema.parse({ ...SPEC, voters: { min: 3, desired: 3, max: 5 }, zookeeper: { ...SPEC.zookeeper, electionPort: 3999 } });
    await deps.store.writeSpec('fresh', five);
    await expect(createStep(deps, 'fresh')).rejects.toThrow('spec: the servers already launched (creation ');
    expect(processFleetFor(deps.store, 'fresh', five).list().map((s) => s.serverId)).toEqual([1]);
    await deps.store.writeSpec('fresh', ClusterSpecSchema.parse(SPEC));

    const { created } = await createAndWait(deps, 'fresh', CREATE_PACE.local);
    expect(created.outcome).toBe('created');
    const processes = processFleetFor(deps.store, 'fresh', ClusterSpecSchema.parse(SPEC));
    expect(processes.list().map((s) => [s.serverId, s.pid !== undefined])).toEqual([[1, true], [2, true], [3, true]]);
  }, 90_000);

  it('hands a creation over to a tick that recorded the cluster meanwhile, and refuses a new create then', async () => {
    const { deps, prefix } = await newHome();
    placeLocalCluster(deps.store, 'fresh', { addressPrefix: prefix });
    await deps.store.writeSpec('fresh', ClusterSpecSchema.parse(SPEC));
    expect((await createStep(killedAfterFirstLaunch(deps), 'fresh')).outcome).toBe('starting');
    // The schedule's tick ran between two steps of the creation and wrote the state first.
    const lease = await deps.store.acquireLease('fresh', 'a-tick', 60_000, Date.now());
    if (!lease) throw new Error('no lease');
    await deps.store.writeState('fresh', initialState('fresh'), lease);
    await deps.store.releaseLease(lease);
    const handedOver = await createStep(deps, 'fresh', { begun: true });
    expect(handedOver).toMatchObject({ outcome: 'created', why: 'a tick recorded fresh while it was being created, and manages it from now on' });
    expect(handedOver.members.map((m) => m.serverId)).toEqual([1]);
    await expect(createStep(deps, 'fresh')).rejects.toThrow('cluster: fresh was created before');
  }, 30_000);

  it('refuses a cluster with servers but no state, naming them, and launches nothing', async () => {
    const { deps, prefix, cli } = await newHome();
    await deps.store.writeSpec('fresh', ClusterSpecSchema.parse(SPEC));
    // What a lost state leaves: a server beyond the initial voters (here a stopped one, server 4).
    mkdirSync(join(deps.store.clusterDir('fresh'), 'servers', '4'), { recursive: true });
    const refused = await cli('create', '--address-prefix', prefix);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(
      'zk-autoscaler: invalid create fresh: instances: fresh has servers that are not a creation under way: server 4 (local-fresh-4, stopped); create never starts an ensemble over existing servers (adopt a running ensemble; terminated instances stay listed for about an hour)',
    );
    expect(processFleetFor(deps.store, 'fresh', ClusterSpecSchema.parse(SPEC)).list().map((s) => s.serverId)).toEqual([4]);
    rmSync(join(deps.store.clusterDir('fresh'), 'servers', '4'), { recursive: true });
  }, 30_000);
});
