import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema, type Operation, type RetiredId } from '../../lib/config/index.js';
import { allocateServerId, firstUnusedId, LISTING_LAG_MS, MAX_ALLOCATED_SERVER_ID, sessionOwner, think, type IdInputs, type Instance } from '../../lib/core/index.js';
import { parseTrace, simulate } from '../../lib/sim/index.js';
import { memberAt } from '../../lib/core/index.js';
import { stateFor, T0, observe, testSpec } from '../support/world.js';

// The id allocator hands out no id while any condition of the rule holds it back (docs/design.md,
// safety rule 7), checked against a restatement of the rule written apart from the allocator. Each
// condition is shown to matter: an allocator that ignores it (planted below) is caught. Then model
// runs: a year of diurnal observer scaling and weeks of joiners that never boot never run out of ids,
// never meet a live session of a predecessor, and never stop healing.

const T = T0;
const settings = testSpec().zookeeper;
const IDS = 12; // a small id space, so that every condition meets every id often

/** The rule, restated: why `id` may not be handed out now (empty: it may). */
function violations(id: number, x: IdInputs): string[] {
  const out: string[] = [];
  if (id < 1 || id > MAX_ALLOCATED_SERVER_ID) out.push('range');
  if (x.config.members.some((m) => m.serverId === id)) out.push('member');
  if (x.instances.some((i) => i.serverId === id)) out.push('instance');
  const op = x.operation;
  if (op && (op.serverId === id || (op.kind === 'replace' && op.replaces === id))) out.push('operation');
  const used = id < firstUnusedId(x);
  if (used && op?.step === 'reconfiguring') out.push('reconfig-in-flight');
  const record = x.retiredIds.find((r) => r.serverId === id);
  const neverServed = used && record !== undefined && 'since' in record;
  if (neverServed && x.now - record.since < LISTING_LAG_MS) out.push('listing-lag');
  if (record && 'configVersion' in record) {
    const v = BigInt(`0x${record.configVersion}`);
    if (x.config.version <= v && x.committedZxid <= v) out.push('no-write-since-removal');
  }
  const live = x.sessions?.readable === true && x.sessions.sessionIds.some((s) => sessionOwner(s) === id);
  if (live) out.push('live-session');
  if (used && !neverServed && x.sessions?.readable !== true) out.push('sessions-not-read');
  return out;
}

const arbInputs: fc.Arbitrary<IdInputs> = fc
  .record({
    members: fc.uniqueArray(fc.integer({ min: 1, max: IDS }), { maxLength: 5 }),
    instances: fc.array(fc.record({ id: fc.integer({ min: 1, max: IDS }), state: fc.constantFrom<Instance['state']>('running', 'stopped', 'terminated', 'pending') }), { maxLength: 6 }),
    version: fc.bigInt({ min: 0x100000000n, max: 0x100000010n }),
    zxidAhead: fc.bigInt({ min: -2n, max: 3n }),
    sessions: fc.option(fc.record({ readable: fc.boolean(), owners: fc.array(fc.integer({ min: 1, max: IDS }), { maxLength: 6 }) }), { nil: undefined }),
    nextServerId: fc.integer({ min: 1, max: IDS + 1 }),
    retired: fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: IDS }), served: fc.boolean(), at: fc.bigInt({ min: 0x100000000n, max: 0x100000010n }), ago: fc.integer({ min: 0, max: 2 * LISTING_LAG_MS }) }), { selector: (r) => r.id, maxLength: 2 }),
    operation: fc.option(fc.record({ id: fc.integer({ min: 1, max: IDS }), step: fc.constantFrom<Operation['step']>('launching', 'syncing', 'reconfiguring', 'terminating') }), { nil: undefined }),
  })
  .map((w) => ({
    config: { version: w.version, members: w.members.map((id) => memberAt(settings, id, `10.0.0.${id}`, 'voter')) },
    instances: w.instances.map((i, n) => ({ serverId: i.id, instanceId: `i-${n}`, host: `10.0.0.${i.id}`, state: i.state, zone: 'a' })),
    committedZxid: w.version + w.zxidAhead,
    sessions: w.sessions && (w.sessions.readable ? { readable: true as const, leader: 1, sessionIds: w.sessions.owners.map((o, n) => (BigInt(o) << 56n) | (BigInt(n) << 16n)) } : { readable: false as const, reason: 'planted' }),
    nextServerId: w.nextServerId,
    retiredIds: w.retired.map((r): RetiredId => (r.served ? { serverId: r.id, configVersion: r.at.toString(16) } : { serverId: r.id, since: T - r.ago })),
    operation: w.operation && { kind: 'add' as const, id: `add-${w.operation.id}-x`, serverId: w.operation.id, role: 'observer' as const, zone: 'a', startedAt: T, step: w.operation.step, stepSince: T, why: '' },
    now: T,
  }));

type Allocator = (x: IdInputs) => ReturnType<typeof allocateServerId>;

/** The allocator's answer, held to the rule: the id it hands out breaks no condition, and every
 * lower id breaks one. */
function keepsTheRule(allocate: Allocator): fc.IProperty<[IdInputs]> {
  return fc.property(arbInputs, (x) => {
    const a = allocate(x);
    const lowest = Array.from({ length: MAX_ALLOCATED_SERVER_ID }, (_, i) => i + 1).find((id) => violations(id, x).length === 0);
    if (a.kind === 'none') return lowest === undefined;
    return violations(a.serverId, x).length === 0 && a.serverId === lowest;
  });
}

/** Allocators that each ignore one condition: the rule must catch every one. */
const PLANTED: Record<string, Allocator> = {
  membership: (x) => allocateServerId({ ...x, config: { ...x.config, members: [] } }),
  instances: (x) => allocateServerId({ ...x, instances: x.instances.filter((i) => i.state === 'running') }),
  'reconfig in flight': (x) => allocateServerId({ ...x, operation: x.operation?.step === 'reconfiguring' ? { ...x.operation, step: 'syncing', serverId: 255 } : x.operation }),
  'write since removal': (x) => allocateServerId({ ...x, committedZxid: x.committedZxid + 0x100n }),
  sessions: (x) => allocateServerId({ ...x, sessions: { readable: true, leader: 1, sessionIds: [] } }),
  'never served, listing lag': (x) => allocateServerId({ ...x, retiredIds: x.retiredIds.map((r) => ('since' in r ? { ...r, since: x.now - LISTING_LAG_MS } : r)) }),
};

describe('server id allocation', () => {
  it('hands out the lowest id that no condition holds back, and none while every id is held', () => {
    fc.assert(keepsTheRule(allocateServerId), { numRuns: 3000 });
  });

  it.each(Object.keys(PLANTED))('catches an allocator that ignores %s', (name) => {
    const result = fc.check(keepsTheRule(PLANTED[name] as Allocator), { numRuns: 3000, seed: 15 });
    expect(result.failed).toBe(true);
  });

  it('gives every launch of one id its own operation id (and so its own EC2 ClientToken)', () => {
    const spec = testSpec({ voters: { desired: 3 }, observers: { desired: 1 } });
    const observed = observe(spec);
    const state = { ...stateFor(spec, observed), nextServerId: 5, retiredIds: [{ serverId: 4, since: T - LISTING_LAG_MS }] };
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 2, maxLength: 5 }), (offsets) => {
        const ids = offsets.map((dt) => {
          const step = think(spec, { ...state, retiredIds: [{ serverId: 4, since: T + dt - LISTING_LAG_MS }] }, observed, T + dt).step;
          return step.kind === 'launch' && step.serverId === 4 ? step.operationId : `not a launch of 4: ${step.why}`;
        });
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });
});

describe('model runs', () => {
  const zones = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];

  it('a year of diurnal observer scaling never runs out of ids, never meets a predecessor session, and heals every failure', () => {
    const spec = ClusterSpecSchema.parse({ cluster: 'year', zones, observers: { min: 0, desired: 0, max: 8 }, load: { targets: { requestsPerSecond: 1000 }, scaleInStabilizationSeconds: 900 } });
    const day = parseTrace(readFileSync(join(import.meta.dirname, '..', '..', 'lib', 'sim', 'traces', 'diurnal-day.csv'), 'utf8'), 'diurnal-day.csv');
    const year = Array.from({ length: 365 * 1440 }, (_, m) => day[m % 1440] ?? 0);
    const r = simulate({ spec, trace: year, serverCapacity: 1300, failureRate: 0.00002, seed: 1, keepSamples: false });
    expect(r.actions.launches).toBeGreaterThan(1000); // ~7 a day: far beyond 254 without reuse
    expect(r.failuresInjected).toBeGreaterThan(10);
    expect({ quorum: r.quorumAvailability, unhealed: r.unhealedAtEnd, collisions: r.serverIds.sessionCollisions, second: r.serverIds.secondServers }).toEqual({ quorum: 1, unhealed: 0, collisions: 0, second: 0 });
    expect(r.serverIds.highest).toBeLessThanOrEqual(MAX_ALLOCATED_SERVER_ID);
  }, 60_000);

  it('two weeks of joiners that never boot, with voters failing, spend a handful of ids and heal once images boot', () => {
    const spec = ClusterSpecSchema.parse({ cluster: 'joiner', zones });
    const flat = Array.from({ length: 30 * 1440 }, () => 1000);
    const boots = (_id: number, tick: number): 'boots' | 'never' => (tick < 14 * 1440 ? 'never' : 'boots');
    const r = simulate({ spec, trace: flat, serverCapacity: 5000, failureRate: 0.00005, seed: 5, keepSamples: false, model: { launchTicks: 1, syncTicks: 1, boots } });
    expect(r.failuresInjected).toBeGreaterThan(2);
    expect(r.actions.launches).toBeGreaterThan(20);
    expect(r.serverIds.highest).toBeLessThanOrEqual(10);
    expect({ unhealed: r.unhealedAtEnd, collisions: r.serverIds.sessionCollisions, second: r.serverIds.secondServers }).toEqual({ unhealed: 0, collisions: 0, second: 0 });
  }, 60_000);
});
