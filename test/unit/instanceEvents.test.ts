import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { instanceEventFacts, isInstanceEvent, parseWakeEvent, type InstanceEvent, type TickMessage } from '../../lib/config/events.js';
import type { Deps } from '../../lib/controller/index.js';
import { tickCluster } from '../../lib/controller/index.js';
import { handleInstanceEvent, handleTickMessages, type InstanceOwners } from '../../lib/controller/triggers.js';
import { TEXT_BYTES } from '../../lib/core/index.js';
import { jsonLog } from '../../lib/adapters/local/index.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { modelDeps } from '../support/modelPorts.js';

// EC2 and AWS Health events about an instance: each sample in events/ parsed strictly, routed to the
// one cluster the instance belongs to (through the queue, or ticked at once), a notice recorded as a
// replace request naming it and its deadline, and the noticed server replaced successor first.

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const sample = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(EVENTS, name), 'utf8')) as Record<string, unknown>;
const instanceEvent = (name: string): InstanceEvent => {
  const e = parseWakeEvent(sample(name));
  if (!isInstanceEvent(e)) throw new Error(`${name} is not an instance event`);
  return e;
};
/** The samples' instance: server 2 of `orders`. */
const NOTICED = 'i-0a1b2c3d4e5f60002';
const owners = (map: Record<string, { cluster: string; serverId: number }>): InstanceOwners => ({ ownersOf: async (ids) => new Map(ids.flatMap((id) => (map[id] ? [[id, map[id]] as const] : []))) });

async function clusters(names: readonly string[], syncTicks = 0) {
  const store = new MemoryStateStore();
  const models = new Map<string, ModelEnsemble>();
  for (const name of names) {
    const spec = ClusterSpecSchema.parse({ cluster: name, zones: [{ name: 'a' }] });
    await store.writeSpec(name, spec);
    models.set(name, new ModelEnsemble(spec, [1, 2, 3], { launchTicks: 1, syncTicks }));
  }
  const lines: Record<string, unknown>[] = [];
  const deps: Deps = { ...modelDeps(store, models), log: jsonLog((line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
  return { store, models, deps, lines };
}

describe('instance events, parsed', () => {
  it.each([
    ['ec2-instance-terminated.json', `instance ${NOTICED} terminated`, undefined],
    ['ec2-spot-interruption.json', `spot interruption of ${NOTICED}`, { reason: 'spot interruption (terminate) by 2026-12-01T10:02:00Z', deadline: Date.parse('2026-12-01T10:02:00Z') }],
    ['ec2-rebalance-recommendation.json', `rebalance recommendation for ${NOTICED}`, { reason: 'spot rebalance recommendation (no deadline given)' }],
    ['health-instance-retirement.json', `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED (open) for ${NOTICED}`, { reason: 'scheduled retirement by 2026-12-15T09:00:00Z', deadline: Date.parse('2026-12-15T09:00:00Z') }],
    // EBS-backed instances are stopped, and the entity names the instance by its ARN.
    ['health-persistent-instance-retirement.json', `AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED (open) for ${NOTICED}`, { reason: 'scheduled retirement by 2026-12-15T09:00:00Z', deadline: Date.parse('2026-12-15T09:00:00Z') }],
  ])('reads %s: the instance, what woke the tick, and the notice with its deadline', (file, wake, notice) => {
    const event = instanceEvent(file);
    const facts = instanceEventFacts(event);
    // The same notice again is known by the EventBridge event's id, or Health's event ARN (Health sends updates and Region copies).
    const key = event.source === 'aws.health' ? event.detail.eventArn : event.id;
    // Only a state change says the instance is going away now.
    const gone = file === 'ec2-instance-terminated.json' ? [NOTICED] : [];
    expect(facts).toEqual({ instanceIds: [NOTICED], wake, notice: notice && { ...notice, instanceIds: [NOTICED], key }, gone });
    if (notice) expect(Buffer.byteLength(notice.reason)).toBeLessThanOrEqual(TEXT_BYTES.reason);
  });

  it('asks nothing of a Health event that is closed, nor for an instance it marks resolved: it only wakes the tick', () => {
    const e = sample('health-instance-retirement.json');
    const detail = e.detail as Record<string, unknown>;
    const closed = parseWakeEvent({ ...e, detail: { ...detail, statusCode: 'closed' } });
    expect(isInstanceEvent(closed) && instanceEventFacts(closed)).toMatchObject({ instanceIds: [NOTICED], notice: undefined });
    const other = 'i-0a1b2c3d4e5f60003';
    const entities = [{ entityValue: NOTICED, status: 'RESOLVED' }, { entityValue: other, status: 'PENDING' }];
    const partly = parseWakeEvent({ ...e, detail: { ...detail, affectedEntities: entities } });
    expect(isInstanceEvent(partly) && instanceEventFacts(partly)).toMatchObject({ instanceIds: [NOTICED, other], notice: { instanceIds: [other] } });
  });

  it('wakes the tick only for a Health reboot or maintenance: the instance comes back', () => {
    const e = sample('health-instance-retirement.json');
    const reboot = { ...e, detail: { ...(e.detail as object), eventTypeCode: 'AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED' } };
    const parsed = parseWakeEvent(reboot);
    expect(isInstanceEvent(parsed) && instanceEventFacts(parsed).notice).toBeUndefined();
  });

  it('refuses a malformed event with an error naming the field', () => {
    const spot = sample('ec2-spot-interruption.json');
    expect(() => parseWakeEvent({ ...spot, detail: { 'instance-id': 'web-1', 'instance-action': 'terminate' } })).toThrow(/^invalid tick event: detail\.instance-id: must be an EC2 instance id/);
    expect(() => parseWakeEvent({ ...spot, detail: { 'instance-id': NOTICED, 'instance-action': 'explode' } })).toThrow(/detail\.instance-action/);
    expect(() => parseWakeEvent({ ...spot, 'detail-type': 'EC2 Fleet Spot Instance Request Change' })).toThrow('detail-type: expected "EC2 Instance State-change Notification", "EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation" (got "EC2 Fleet Spot Instance Request Change")');
    const health = sample('health-instance-retirement.json');
    expect(() => parseWakeEvent({ ...health, detail: { ...(health.detail as object), startTime: 'soon' } })).toThrow(/detail\.startTime: must be a date/);
    expect(() => parseWakeEvent({ ...health, detail: { ...(health.detail as object), affectedEntities: [] } })).toThrow(/detail\.affectedEntities: must name at least one EC2 instance/);
    // An entity that is no instance (a Dedicated Host) is left out, the instances kept; none left is refused.
    const host = { entityValue: 'h-0123456789abcdef0' };
    const mixed = parseWakeEvent({ ...health, detail: { ...(health.detail as object), affectedEntities: [host, { entityValue: NOTICED }] } });
    expect(isInstanceEvent(mixed) && instanceEventFacts(mixed).instanceIds).toEqual([NOTICED]);
    expect(() => parseWakeEvent({ ...health, detail: { ...(health.detail as object), affectedEntities: [host] } })).toThrow(/detail\.affectedEntities: must name at least one EC2 instance/);
    expect(() => parseWakeEvent({ source: 'aws.s3' })).toThrow('source: expected "aws.events" (schedule), "aws.cloudwatch" (alarm), "aws.ec2" or "aws.health" (instance events) (got "aws.s3")');
  });
});

describe('instance events, routed', () => {
  it.each(['ec2-instance-terminated.json', 'ec2-spot-interruption.json', 'ec2-rebalance-recommendation.json', 'health-instance-retirement.json', 'health-persistent-instance-retirement.json'])(
    'queues %s for the one cluster its instance belongs to, and that message ticks it',
    async (file) => {
      const { store, deps } = await clusters(['orders', 'payments']);
      const sent: TickMessage[] = [];
      const event = instanceEvent(file);
      const woken = await handleInstanceEvent(deps, event, 1_000, { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: 2 } }), queue: { send: async (m) => void sent.push(...m) } });
      expect(woken.clusters).toEqual(['orders']);
      const { wake, gone } = instanceEventFacts(event);
      expect(sent).toEqual([{ cluster: 'orders', trigger: { kind: 'instance', event: wake, ...(gone.length > 0 ? { gone } : {}) }, at: event.time }]);
      const requests = await store.readRequests('orders');
      const notice = instanceEventFacts(event).notice;
      const deadline = notice?.deadline === undefined ? {} : { deadline: notice.deadline };
      expect(requests).toEqual(notice ? [{ id: expect.stringMatching(/^notice-2-[0-9a-f]{16}$/), kind: 'replace', serverId: 2, instanceId: NOTICED, reason: notice.reason, ...deadline, at: 1_000 }] : []);
      expect(await store.readRequests('payments')).toEqual([]);
      // The queued message is one the consumer takes: it ticks orders alone.
      const record = { messageId: 'm1', eventSource: 'aws:sqs', body: JSON.stringify(sent[0]), attributes: { MessageGroupId: 'orders' } };
      const [outcome] = await handleTickMessages(deps, { Records: [record] }, { deadlineMs: 10_000 });
      expect(outcome).toMatchObject({ cluster: 'orders' });
      expect(outcome?.failure).toBeUndefined();
    },
  );

  it('files a notice delivered twice once (EventBridge delivers at least once); another event about it is a new request', async () => {
    const { store, deps } = await clusters(['orders']);
    const route = { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: 2 } }), queue: { send: async () => undefined } };
    const spot = instanceEvent('ec2-spot-interruption.json');
    await handleInstanceEvent(deps, spot, 1_000, route);
    await handleInstanceEvent(deps, spot, 2_000, route);
    const [first] = await store.readRequests('orders');
    expect(first).toMatchObject({ kind: 'replace', serverId: 2, at: 1_000 });
    await handleInstanceEvent(deps, { ...spot, id: 'another-event-id' }, 3_000, route);
    const [renewed, ...more] = await store.readRequests('orders');
    expect(more).toEqual([]);
    expect(renewed).toMatchObject({ kind: 'replace', serverId: 2, at: 3_000 });
    expect(renewed?.id).not.toBe(first?.id);
    // Health's copy of the same event (a new EventBridge id, the same event ARN) is the same notice.
    const retirement = instanceEvent('health-instance-retirement.json');
    await handleInstanceEvent(deps, retirement, 4_000, route);
    await handleInstanceEvent(deps, { ...retirement, id: 'backup-region-copy' }, 5_000, route);
    expect((await store.readRequests('orders')).map((r) => r.at)).toEqual([4_000]);
  });

  it('logs and ignores an instance of no cluster of ours: nothing queued, nothing filed', async () => {
    const { store, deps, lines } = await clusters(['orders']);
    const sent: TickMessage[] = [];
    const woken = await handleInstanceEvent(deps, instanceEvent('ec2-spot-interruption.json'), 1_000, { owners: owners({}), queue: { send: async (m) => void sent.push(...m) } });
    expect(woken.clusters).toEqual([]);
    expect(sent).toEqual([]);
    expect(await store.readRequests('orders')).toEqual([]);
    expect(lines.map((l) => l.message)).toContain(`spot interruption of ${NOTICED}: instance ${NOTICED} is in no cluster of ours: ignored`);
  });

  it('ignores an instance whose cluster has no spec here', async () => {
    const { deps } = await clusters(['orders']);
    const woken = await handleInstanceEvent(deps, instanceEvent('ec2-spot-interruption.json'), 1_000, { owners: owners({ [NOTICED]: { cluster: 'gone', serverId: 2 } }) });
    expect(woken).toEqual({ clusters: [], results: [] });
  });

  for (const state of ['stopping', 'stopped'] as const) {
    it(`fails a voter whose instance the fleet lists ${state} at once: the tick the event wakes starts its replacement`, async () => {
      const { models, deps } = await clusters(['orders']);
      const model = models.get('orders') as ModelEnsemble;
      const server = model.servers.get(2);
      if (server) server.state = state;
      const woken = await handleInstanceEvent(deps, instanceEvent('ec2-instance-terminated.json'), Date.now(), { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: 2 } }) });
      expect(woken.results).toEqual([expect.objectContaining({ cluster: 'orders', outcome: 'acted', step: expect.objectContaining({ kind: 'launch' }) })]);
      expect(woken.results[0]?.why).toMatch(new RegExp(`^replace voter 2: instance i-2 is ${state}: launch server 4`));
    });
  }
});

describe('a noticed server, replaced while it still runs', () => {
  /** The events name NOTICED: the model runs `serverId` on that instance. */
  function runsOnNoticed(model: ModelEnsemble, serverId: number): void {
    const server = model.servers.get(serverId);
    if (!server) throw new Error(`no server ${serverId}`);
    model.servers.set(serverId, { ...server, instanceId: NOTICED });
  }

  /** Ticks orders until it rests, recording each step; the model's clock moves one tick each time. */
  async function tickUntilSteady(deps: Deps, model: ModelEnsemble, seen: { step: string; why: string; voters: number[] }[], onTick: (tick: number) => void = () => undefined) {
    for (let i = 0; i < 30; i++) {
      model.tick++;
      onTick(model.tick);
      const r = await tickCluster(deps, 'orders', { kind: 'schedule' });
      seen.push({ step: r.step?.kind ?? 'none', why: r.why, voters: model.config.members.filter((m) => m.role === 'voter').map((m) => m.serverId) });
      if (r.outcome === 'steady') return;
    }
    throw new Error(`orders never rested: ${JSON.stringify(seen.at(-1))}`);
  }

  it('launches and syncs the successor first, then swaps it in with one reconfig; the sentence names the notice and its deadline', async () => {
    const { models, deps } = await clusters(['orders'], 2);
    const model = models.get('orders') as ModelEnsemble;
    runsOnNoticed(model, 2);
    const woken = await handleInstanceEvent(deps, instanceEvent('ec2-spot-interruption.json'), Date.now(), { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: 2 } }) });
    expect(woken.results[0]).toMatchObject({ outcome: 'acted', step: { kind: 'launch', serverId: 4 } });
    expect(woken.results[0]?.why).toBe('replace voter 2: spot interruption (terminate) by 2026-12-01T10:02:00Z: launch server 4 in a to swap in');
    const seen: { step: string; why: string; voters: number[] }[] = [];
    await tickUntilSteady(deps, model, seen);
    const reconfigs = seen.filter((s) => s.step === 'reconfig');
    // One reconfig: server 4 in and 2 out together, only once 4 synced (the waits before it say so).
    expect(reconfigs).toHaveLength(1);
    expect(reconfigs[0]?.why).toMatch(/^replace voter 2: spot interruption \(terminate\) by 2026-12-01T10:02:00Z: add voter 4, remove 2 /);
    expect(seen.findIndex((s) => s.step === 'reconfig')).toBeGreaterThan(seen.findIndex((s) => s.why.includes('server 4 is not synced yet')));
    expect(seen.findIndex((s) => s.step === 'terminate')).toBeGreaterThan(seen.findIndex((s) => s.step === 'reconfig'));
    expect(model.config.members.map((m) => m.serverId).sort()).toEqual([1, 3, 4]);
    expect(model.servers.get(2)?.state).toBe('terminated');
  });

  it('replaces a noticed observer too', async () => {
    const { models, deps, store } = await clusters(['orders']);
    const model = models.get('orders') as ModelEnsemble;
    await store.writeSpec('orders', { ...(await store.readSpec('orders')), observers: { min: 0, desired: 1, max: 6 } });
    await tickUntilSteady(deps, model, []);
    const observer = model.config.members.find((m) => m.role === 'observer');
    if (!observer) throw new Error('no observer');
    runsOnNoticed(model, observer.serverId);
    const woken = await handleInstanceEvent(deps, instanceEvent('ec2-rebalance-recommendation.json'), Date.now(), { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: observer.serverId } }) });
    expect(woken.results[0]?.why).toMatch(new RegExp(`^replace observer ${observer.serverId}: spot rebalance recommendation \\(no deadline given\\): launch server \\d+`));
    await tickUntilSteady(deps, model, []);
    expect(model.config.members.some((m) => m.serverId === observer.serverId)).toBe(false);
    expect(model.config.members.filter((m) => m.role === 'observer')).toHaveLength(1);
  });

  it('never removes the noticed server before its successor is synced, even when it dies first', async () => {
    const { models, deps } = await clusters(['orders'], 4);
    const model = models.get('orders') as ModelEnsemble;
    runsOnNoticed(model, 2);
    await handleInstanceEvent(deps, instanceEvent('ec2-spot-interruption.json'), Date.now(), { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: 2 } }) });
    const seen: { step: string; why: string; voters: number[] }[] = [];
    // EC2 takes server 2 one tick after the notice: its successor is still booting.
    await tickUntilSteady(deps, model, seen, (tick) => {
      const server = model.servers.get(2);
      if (tick === 1 && server) server.state = 'terminated';
    });
    const successor = model.servers.get(4);
    const syncedAt = (successor?.launchedAtTick ?? 0) + 1 + 4;
    const firstChange = seen.findIndex((s) => !s.voters.includes(2));
    // Ticks are 1-based on the model's clock: the config lost 2 only at or after the tick 4 was synced.
    expect(firstChange + 1).toBeGreaterThanOrEqual(syncedAt);
    expect(seen.slice(0, firstChange).every((s) => s.voters.includes(2))).toBe(true);
    expect(model.config.members.map((m) => m.serverId).sort()).toEqual([1, 3, 4]);
  });

  it('ignores a notice about an instance its server id no longer runs on (the id came back on a new instance)', async () => {
    const { models, deps } = await clusters(['orders']);
    const model = models.get('orders') as ModelEnsemble;
    // Server 2 runs on i-2, not on the instance the late notice names.
    const woken = await handleInstanceEvent(deps, instanceEvent('ec2-spot-interruption.json'), Date.now(), { owners: owners({ [NOTICED]: { cluster: 'orders', serverId: 2 } }) });
    expect(woken.results[0]?.step?.kind).not.toBe('launch');
    expect(woken.results[0]?.why).not.toMatch(/spot interruption/);
    expect(model.config.members.map((m) => m.serverId).sort()).toEqual([1, 2, 3]);
  });
});
