import { describe, expect, it } from 'vitest';
import { jsonLog } from '../../lib/adapters/local/index.js';
import {
  ClusterSpecSchema,
  ControllerStateSchema,
  documentText,
  initialState,
  OperatorActionSchema,
  OperatorRequestsSchema,
  parseOrThrow,
  parseTickEvent,
} from '../../lib/config/index.js';
import { handleTickEvent, runOperatorAction } from '../../lib/controller/index.js';
import { clipText, think, type Observation } from '../../lib/core/index.js';
import { InvalidInputError } from '../../lib/errors.js';
import alarmSample from '../../events/alarm-server-down.json' with { type: 'json' };
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';
import { down, instance, observe, stateFor, T0, testSpec } from '../support/world.js';

// Every document we read is parsed strictly, and bad input changes nothing: a misspelt key is an
// error naming it and the key it was meant to be, never a silent default.

const parse = (schema: Parameters<typeof parseOrThrow>[0], input: unknown): (() => unknown) => () => parseOrThrow(schema, input, 'input');

describe('strict input', () => {
  it('refuses a spec with a misspelt key, naming it and the nearest known key', () => {
    expect(parse(ClusterSpecSchema, { cluster: 'orders', voter: { desired: 5 } })).toThrow('invalid input: (root): unknown key "voter" (did you mean "voters"?)');
    expect(parse(ClusterSpecSchema, { cluster: 'orders', zone: [{ name: 'a' }] })).toThrow('unknown key "zone" (did you mean "zones"?)');
    expect(parse(ClusterSpecSchema, { cluster: 'orders', observer: { max: 3 } })).toThrow('unknown key "observer" (did you mean "observers"?)');
    expect(parse(ClusterSpecSchema, { cluster: 'orders', voters: { desird: 5 } })).toThrow('voters: unknown key "desird" (did you mean "desired"?)');
    expect(parse(ClusterSpecSchema, { cluster: 'orders', detection: { failAfterMiss: 5 } })).toThrow('detection: unknown key "failAfterMiss" (did you mean "failAfterMisses"?)');
  });

  it('refuses spec sizes beyond what one state parameter can track, and names that must not reach a file unchecked', () => {
    expect(parse(ClusterSpecSchema, { cluster: 'orders', voters: { max: 11 } })).toThrow('voters.max: Too big: expected number to be <=9 (got 11)');
    expect(parse(ClusterSpecSchema, { cluster: 'orders', observers: { max: 17 } })).toThrow('observers.max: Too big: expected number to be <=16 (got 17)');
    expect(parse(ClusterSpecSchema, { cluster: 'orders', zones: [{ name: 'a\nskipACL=yes' }] })).toThrow('zones.0.name: must be 1-32 lowercase letters, digits or "-"');
  });

  it('refuses a health record with a run of misses and of slow answers at once (a slow server answered)', () => {
    expect(parse(ControllerStateSchema, { ...initialState('orders'), health: [{ serverId: 2, misses: 3, missingSince: 1, slowTicks: 2, slowSince: 1 }] })).toThrow('health.0: a run of misses and a run of slow answers at once');
  });

  it('refuses a state or requests document with an unknown key, and an operator action with a misspelt one', () => {
    expect(parse(ControllerStateSchema, { ...initialState('orders'), lease: 3 })).toThrow('(root): unknown key "lease"');
    expect(parse(OperatorRequestsSchema, [{ id: 'r1', kind: 'report', serverId: 2, reason: 'slow', at: 1, severity: 'high' }])).toThrow('0: unknown key "severity"');
    expect(parse(OperatorActionSchema, { action: 'replace', cluster: 'orders', serverID: 3 })).toThrow(/serverId: Invalid input.*unknown key "serverID" \(did you mean "serverId"\?\)/);
  });

  it('reads a version-1 state (member list, miss texts, long lists) as version 2, cut to its bounds', () => {
    const v1 = {
      schemaVersion: 1,
      cluster: 'orders',
      nextServerId: 5,
      members: [{ serverId: 1, zone: 'a', launchedAt: 1 }],
      health: [{ serverId: 2, misses: 20_000, missingSince: 10, lastMiss: 'no answer', slowTicks: 0 }],
      scaleInHold: { since: 5, highest: 12_345 },
      leader: { serverId: 1, changes: Array.from({ length: 40 }, (_, i) => i) },
      reports: Array.from({ length: 30 }, (_, i) => ({ serverId: 2, reason: 'r'.repeat(200), at: i })),
      replaceRequests: [],
      requestsSeenUpTo: 0,
      roundRobinCursor: 0,
      zonesAvoided: [],
    };
    const state = parseOrThrow(ControllerStateSchema, v1, 'state');
    expect(state).toMatchObject({ schemaVersion: 2, nextServerId: 5, health: [{ serverId: 2, misses: 9999, missingSince: 10 }], scaleInHold: { highest: 9999 } });
    expect(state.leader.changes).toHaveLength(10);
    expect(state.reports).toHaveLength(5);
    expect(state.reports[0]?.reason).toBe(clipText('r'.repeat(200), 64));
  });
});

describe('text that reaches a stored document', () => {
  it('refuses, before anything is written, a document over SSM\'s 4,096 bytes (bounded documents never are)', () => {
    expect(() => documentText('orders', 'requests', ['€'.repeat(1400)])).toThrow('requests of orders is 4204 bytes, more than the 4096 it may take: nothing written');
    expect(() => documentText('orders', 'requests', ['€'.repeat(1300)])).not.toThrow();
  });

  it('loses control characters and is cut, at a character boundary, to its JSON byte budget', () => {
    expect(clipText('disk \u001b[31mfull\u001b[0m\nnow', 80)).toBe('disk  [31mfull [0m now');
    const clipped = clipText('€'.repeat(40), 20);
    expect(clipped).toBe('€€€€€...');
    expect(Buffer.byteLength(JSON.stringify(clipped)) - 2).toBeLessThanOrEqual(20);
  });
});

describe('bad input changes nothing', () => {
  async function setup() {
    const store = new MemoryStateStore();
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a' }] });
    await store.writeSpec('orders', spec);
    const model = new ModelEnsemble(spec, [1, 2, 3]);
    const lines: string[] = [];
    const deps = { ...modelDeps(store, new Map([['orders', model]])), log: jsonLog((line) => lines.push(line)) };
    return { store, deps, lines };
  }

  it('refuses a spec stored under another cluster name: the tick writes nothing for it', async () => {
    const { store, deps } = await setup();
    store.plantSpec('billing', JSON.stringify({ cluster: 'orders' }));
    await expect(store.readSpec('billing')).rejects.toThrow('invalid spec of billing: cluster: "orders" is not the cluster it is stored under ("billing")');
    const [billing] = (await handleTickEvent(deps, parseTickEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: 'now' }), 1)).filter((r) => r.cluster === 'billing');
    expect(billing).toMatchObject({ outcome: 'failed' });
    expect(await store.readState('billing')).toBeUndefined();
    expect(await store.readRequests('billing')).toEqual([]);
  });

  it('files no report for an alarm naming a cluster it does not manage, and says so in one line', async () => {
    const { store, deps, lines } = await setup();
    const event = structuredClone(alarmSample) as typeof alarmSample;
    const metric = event.alarmData.configuration.metrics[0];
    if (metric) metric.metricStat.metric.dimensions = { service: 'zk-autoscaler', cluster: 'nowhere', serverId: '2' };
    await handleTickEvent(deps, parseTickEvent(event), 1000);
    expect(await store.readRequests('nowhere')).toEqual([]);
    expect(await store.listClusters()).toEqual(['orders']);
    const said = lines.map((l) => JSON.parse(l) as { message: string }).filter((l) => l.message.includes('nowhere'));
    expect(said.map((l) => l.message)).toEqual(['alarm zk-autoscaler-dev-local-server-2-down names cluster nowhere, which has no spec here: no report filed']);
  });

  it('refuses a report whose reason would not fit, recording nothing', async () => {
    const { store } = await setup();
    const action = { action: 'report', cluster: 'orders', serverId: 2, reason: 'x'.repeat(65) };
    expect(() => parseOrThrow(OperatorActionSchema, action, 'manual event')).toThrow(InvalidInputError);
    expect(() => parseOrThrow(OperatorActionSchema, action, 'manual event')).toThrow('reason: must take at most 64 bytes as JSON');
    expect(await store.readRequests('orders')).toEqual([]);
  });
});

describe('forget', () => {
  it('writes no state: it records a request, which the next tick applies under its own lease', async () => {
    const store = new MemoryStateStore();
    const spec = ClusterSpecSchema.parse({ cluster: 'orders', zones: [{ name: 'a' }] });
    await store.writeSpec('orders', spec);
    const model = new ModelEnsemble(spec, [1, 3, 4]);
    model.servers.set(2, { serverId: 2, state: 'stopped', zone: 'a', launchedAtTick: -100, crashed: false }); // gone, still listed
    const lease = await store.acquireLease('orders', 'setup', 60_000, Date.now());
    if (!lease) throw new Error('lease');
    await store.writeState('orders', { ...initialState('orders', 5), health: [{ serverId: 2, misses: 4, missingSince: 1, slowTicks: 0 }] }, lease);
    await store.releaseLease(lease);
    const before = await store.readState('orders');
    const deps = modelDeps(store, new Map([['orders', model]]));
    const result = await runOperatorAction(deps, { action: 'forget', cluster: 'orders', serverId: 2 }, Date.now());
    expect(result.message).toBe('server 2 will be forgotten by the next tick');
    expect((await store.readState('orders'))?.version).toBe(before?.version);
    expect((await store.readRequests('orders')).map((r) => [r.kind, r.kind === 'create' ? undefined : r.serverId])).toEqual([['forget', 2]]);
    await expect(runOperatorAction(deps, { action: 'forget', cluster: 'orders', serverId: 3 }, Date.now())).rejects.toThrow('serverId: 3 is a member of the config');
  });

  it('drops a gone server\'s evidence in the tick that reads the request, and never a member\'s', () => {
    const spec = testSpec();
    const listed = observe(spec, { voters: [1, 3, 4] });
    const observed: Observation = { ...listed, probes: [...listed.probes, down(2)], instances: [...listed.instances, instance(2, 'stopped', 'a')] };
    const state = stateFor(spec, observed, { health: [{ serverId: 2, misses: 4, missingSince: T0 - 60_000, slowTicks: 0 }] });
    expect(think(spec, state, observed, T0).state.health.map((h) => h.serverId)).toEqual([2]);
    const asked = { ...observed, requests: { ...observed.requests, forget: [2, 3] } };
    const withDown3 = { ...asked, probes: asked.probes.map((p) => (p.serverId === 3 ? down(3) : p)) };
    expect(think(spec, state, withDown3, T0).state.health.map((h) => h.serverId)).toEqual([3]);
    // Without a readable config a member cannot be told from a gone server: nothing is forgotten.
    const blind: Observation = { ...asked, config: { readable: false, reason: 'no server answered as serving' } };
    expect(think(spec, state, blind, T0).state.health.map((h) => h.serverId)).toEqual([2]);
  });
});
