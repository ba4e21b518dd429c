import { describe, expect, it } from 'vitest';
import type { Operation, RetiredId } from '../../../lib/config/index.js';
import {
  allocateServerId,
  firstUnusedId,
  holdsOn,
  idInputs,
  LISTING_LAG_MS,
  MAX_ALLOCATED_SERVER_ID,
  retire,
  retiredStillNeeded,
  sessionOwner,
  type IdInputs,
  type ServerId,
} from '../../../lib/core/index.js';
import { config, down, instance, notServing, observe, serving, stateFor, T0, testSpec } from '../../support/world.js';

// Server id allocation and retirement (serverIds.ts: idInputs, firstUnusedId, holdsOn, sessionHolds,
// sessionOwner, allocateServerId, retire, retiredStillNeeded), held to what its mutants showed no
// other test pinned (docs/mutation.md).

const spec = testSpec();
/** The committed config's version: removals recorded at it have seen no write since. */
const V = 0x100000000n;
const READ_NONE = { readable: true as const, leader: 1, sessionIds: [] };

/** Voters 1-3 at version V, each on a running instance, ids 1-3 handed out, no session read yet. */
function inputs(o: Partial<IdInputs> = {}): IdInputs {
  return {
    config: config(spec, [1, 2, 3], [], V),
    instances: [1, 2, 3].map((id) => instance(id)),
    committedZxid: V,
    sessions: undefined,
    nextServerId: 4,
    retiredIds: [],
    operation: undefined,
    now: T0,
    ...o,
  };
}

/** A session the server `owner` created, the `n`th since its boot. */
const sessionOf = (owner: ServerId, n = 1): bigint => (BigInt(owner) << 56n) | (BigInt(n) << 16n);
const sessionsOf = (...ids: bigint[]): IdInputs['sessions'] => ({ readable: true, leader: 1, sessionIds: ids });

function operation(kind: 'add' | 'spare' | 'remove', serverId: ServerId, step: Operation['step'] = 'launching'): Operation {
  const base = { id: `${kind}-${serverId}`, serverId, startedAt: T0, step, stepSince: T0, why: 'test' };
  if (kind === 'add') return { kind, ...base, role: 'voter', zone: 'a' };
  if (kind === 'spare') return { kind, ...base, zone: 'a' };
  return { kind, ...base };
}

function replacing(serverId: ServerId, replaces: ServerId): Operation {
  return { kind: 'replace', id: `replace-${serverId}`, serverId, replaces, role: 'voter', zone: 'a', startedAt: T0, step: 'launching', stepSince: T0, why: 'test' };
}

const served = (serverId: ServerId, at: bigint): RetiredId => ({ serverId, configVersion: at.toString(16) });
const rolledBack = (serverId: ServerId, since: number): RetiredId => ({ serverId, since });

describe('the inputs of id allocation', () => {
  it('takes the highest zxid a serving server reported as committed, and counts no server that does not serve', () => {
    const observed = observe(spec, {}, { probes: [serving(1, 'follower', { zxid: V + 5n }), serving(2, 'leader', { zxid: V + 9n }), serving(3, 'follower', { zxid: V + 7n }), down(4), notServing(5)] });
    const cfg = config(spec, [1, 2, 3], [], V);
    const state = { ...stateFor(spec, observed), nextServerId: 6, retiredIds: [rolledBack(4, T0)], operation: operation('add', 5) };
    expect(idInputs(observed, cfg, state, T0 + 7)).toEqual({
      config: cfg,
      instances: observed.instances,
      committedZxid: V + 9n,
      sessions: undefined,
      nextServerId: 6,
      retiredIds: [rolledBack(4, T0)],
      operation: operation('add', 5),
      now: T0 + 7,
    });
  });

  it('takes no write as committed while no server serves', () => {
    const observed = observe(spec, {}, { probes: [down(1), notServing(2)], sessions: READ_NONE });
    const x = idInputs(observed, config(spec, [1, 2, 3]), stateFor(spec, observed), T0);
    expect(x.committedZxid).toBe(0n);
    expect(x.sessions).toBe(READ_NONE);
  });

  it('counts ids from past the highest member, instance and the state\'s next id as never handed out', () => {
    expect(firstUnusedId(inputs({ nextServerId: 2 }))).toBe(4);
    expect(firstUnusedId(inputs({ nextServerId: 2, instances: [instance(7, 'terminated'), instance(2)] }))).toBe(8);
    expect(firstUnusedId(inputs({ nextServerId: 2, config: config(spec, [1, 5, 2]), instances: [] }))).toBe(6);
    expect(firstUnusedId(inputs({ nextServerId: 10 }))).toBe(10);
  });
});

describe('what holds a server id back', () => {
  it('holds a member\'s id, and an id on an instance with that instance and its state', () => {
    expect(holdsOn(2, inputs({ sessions: READ_NONE }))).toEqual([{ kind: 'member' }, { kind: 'instance', instanceId: 'i-2', state: 'running' }]);
    const listed = inputs({ sessions: READ_NONE, config: config(spec, [1, 3]), instances: [instance(1), { ...instance(2, 'terminated'), instanceId: 'i-old' }, instance(2, 'stopped'), instance(3)] });
    expect(holdsOn(2, listed)).toEqual([
      { kind: 'instance', instanceId: 'i-old', state: 'terminated' },
      { kind: 'instance', instanceId: 'i-2', state: 'stopped' },
    ]);
  });

  it('holds the joiner\'s id of the operation in flight and the id a replacement replaces, not the ids of other servers', () => {
    const empty = { config: config(spec, [1, 2, 3]), instances: [], sessions: READ_NONE, nextServerId: 9 };
    expect(holdsOn(5, inputs({ ...empty, operation: operation('add', 5) }))).toEqual([{ kind: 'operation' }]);
    expect(holdsOn(6, inputs({ ...empty, operation: operation('add', 5) }))).toEqual([]);
    expect(holdsOn(4, inputs({ ...empty, operation: replacing(5, 4) }))).toEqual([{ kind: 'operation' }]);
    expect(holdsOn(5, inputs({ ...empty, operation: replacing(5, 4) }))).toEqual([{ kind: 'operation' }]);
    expect(holdsOn(6, inputs({ ...empty, operation: replacing(5, 4) }))).toEqual([]);
  });

  it('holds a removed voter\'s id, and no other, until a write commits past the version its removal was first seen at, in the config or in a serving server\'s zxid', () => {
    const removed = (version: bigint, committedZxid: bigint): IdInputs =>
      inputs({ sessions: READ_NONE, config: config(spec, [1, 2, 3], [], version), committedZxid, retiredIds: [served(4, V)], nextServerId: 5 });
    const noWrite = [{ kind: 'no-write-since-removal', configVersion: '100000000' }];
    expect(holdsOn(4, removed(V, V))).toEqual(noWrite);
    expect(holdsOn(4, removed(V - 1n, 0n))).toEqual(noWrite);
    expect(holdsOn(4, removed(V + 1n, V))).toEqual([]);
    expect(holdsOn(4, removed(V, V + 1n))).toEqual([]);
    expect(holdsOn(3, { ...removed(V, V), config: config(spec, [1, 2]), instances: [] })).toEqual([]);
  });

  it('holds a used id while a reconfig is in flight, but no id never handed out', () => {
    const reconfiguring = (step: Operation['step']): IdInputs => inputs({ sessions: READ_NONE, config: config(spec, [1, 2]), instances: [], nextServerId: 4, operation: operation('add', 9, step) });
    expect(holdsOn(3, reconfiguring('reconfiguring'))).toEqual([{ kind: 'reconfig-in-flight' }]);
    expect(holdsOn(3, reconfiguring('syncing'))).toEqual([]);
    expect(holdsOn(4, reconfiguring('reconfiguring'))).toEqual([]);
  });

  it('holds nothing on an id never handed out while the sessions are unread or unreadable, but a live session of a server from before the controller holds it', () => {
    expect(holdsOn(4, inputs())).toEqual([]);
    expect(holdsOn(4, inputs({ sessions: { readable: false, reason: 'leader gone' } }))).toEqual([]);
    expect(holdsOn(4, inputs({ sessions: sessionsOf(sessionOf(1), sessionOf(4, 3)) }))).toEqual([{ kind: 'live-sessions', count: 1, example: '0x400000000030000' }]);
  });

  it('asks for the leader\'s sessions before a used id comes back, and holds it on every live session its predecessor created', () => {
    const used = (sessions: IdInputs['sessions']): IdInputs => inputs({ sessions, config: config(spec, [1, 2]), instances: [], nextServerId: 4 });
    expect(holdsOn(3, used(undefined))).toEqual([{ kind: 'sessions-unread' }]);
    expect(holdsOn(3, used({ readable: false, reason: 'dump timed out' }))).toEqual([{ kind: 'sessions-unreadable', reason: 'dump timed out' }]);
    expect(holdsOn(3, used(sessionsOf(sessionOf(2), sessionOf(4))))).toEqual([]);
    expect(holdsOn(3, used(sessionsOf(sessionOf(2), sessionOf(3, 0x1f), sessionOf(3, 2))))).toEqual([{ kind: 'live-sessions', count: 2, example: '0x3000000001f0000' }]);
  });

  it('holds a joiner rolled back before it synced for the listing lag, then frees it without the sessions, unless one of them is live', () => {
    const rolled = (since: number, sessions: IdInputs['sessions']): IdInputs =>
      inputs({ sessions, config: config(spec, [1, 2]), instances: [], nextServerId: 4, retiredIds: [rolledBack(3, since)] });
    expect(holdsOn(3, rolled(T0 - LISTING_LAG_MS + 1, undefined))).toEqual([{ kind: 'rolled-back-recently' }]);
    expect(holdsOn(3, rolled(T0 - LISTING_LAG_MS, undefined))).toEqual([]);
    expect(holdsOn(3, rolled(T0 - LISTING_LAG_MS, { readable: false, reason: 'no leader' }))).toEqual([]);
    expect(holdsOn(3, rolled(T0 - LISTING_LAG_MS, sessionsOf(sessionOf(3))))).toEqual([{ kind: 'live-sessions', count: 1, example: '0x300000000010000' }]);
    expect(holdsOn(3, rolled(T0 - 1, sessionsOf(sessionOf(3))))).toEqual([{ kind: 'rolled-back-recently' }, { kind: 'live-sessions', count: 1, example: '0x300000000010000' }]);
  });

  it('reads a session\'s creator from its top byte, also for ids whose sessions read as negative numbers', () => {
    expect(sessionOwner(sessionOf(3, 0xffff))).toBe(3);
    expect(sessionOwner(BigInt.asIntN(64, sessionOf(200, 7)))).toBe(200);
    expect(sessionOwner(-1n)).toBe(255);
  });
});

describe('allocating a server id', () => {
  it('hands out a fresh id without asking for sessions when nothing below it is held for them', () => {
    expect(allocateServerId(inputs())).toEqual({ kind: 'chosen', serverId: 4, reused: false, sessionsWanted: false });
  });

  it('hands a retired id out again as reused, lowest first', () => {
    const x = inputs({ config: config(spec, [1, 3]), instances: [], nextServerId: 5, sessions: sessionsOf(sessionOf(2)) });
    expect(allocateServerId(x)).toEqual({ kind: 'chosen', serverId: 4, reused: true, sessionsWanted: false });
  });

  it('wants the leader\'s sessions only when an id passed over was held by nothing else', () => {
    const unread = inputs({ config: config(spec, [2, 3]), instances: [instance(2), instance(3)] });
    expect(allocateServerId(unread)).toEqual({ kind: 'chosen', serverId: 4, reused: false, sessionsWanted: true });
    const alsoListed = { ...unread, instances: [instance(1, 'terminated'), ...unread.instances] };
    expect(allocateServerId(alsoListed)).toEqual({ kind: 'chosen', serverId: 4, reused: false, sessionsWanted: false });
  });

  it('hands out the highest id, 254, when every lower one is held', () => {
    const x = inputs({ config: config(spec, [1, 2, 3]), instances: [], nextServerId: MAX_ALLOCATED_SERVER_ID, sessions: { readable: false, reason: 'no leader' } });
    expect(allocateServerId(x)).toEqual({ kind: 'chosen', serverId: MAX_ALLOCATED_SERVER_ID, reused: false, sessionsWanted: false });
  });

  it('hands out none when every id up to 254 is held, saying why and whether the sessions would help', () => {
    const x = inputs({ config: config(spec, [1, 2, 3]), instances: [], nextServerId: MAX_ALLOCATED_SERVER_ID + 1 });
    expect(allocateServerId(x)).toEqual({ kind: 'none', sessionsWanted: true, why: "no server id of 1..254 may be handed out: 1-3 in the config; 4-254 wait for the leader's session list" });
  });
});

describe('retiring a server id', () => {
  it('records a served id with the committed version and a never-served one with the time, after the records there', () => {
    const before = [served(2, V)];
    expect(retire(before, 5, T0, config(spec, [1, 2, 3], [], V + 0xabn))).toEqual([served(2, V), { serverId: 5, configVersion: '1000000ab' }]);
    expect(retire(before, 5, T0, undefined)).toEqual([served(2, V), { serverId: 5, since: T0 }]);
    expect(before).toEqual([served(2, V)]);
  });

  it('keeps the first record of an id already retired', () => {
    const before = [rolledBack(2, T0 - 5), served(4, V)];
    const after = retire(before, 4, T0, config(spec, [1, 2, 3], [], V + 3n));
    expect(after).toEqual(before);
    expect(after).not.toBe(before);
  });

  it('keeps a record until its id is a member again, handed out again, or a write passed its removal', () => {
    const records = [served(4, V), rolledBack(5, T0)];
    const x = { config: config(spec, [1, 2, 3], [], V), committedZxid: V, operation: undefined };
    expect(retiredStillNeeded(records, x)).toEqual(records);
    expect(retiredStillNeeded(records, { ...x, config: config(spec, [1, 2, 3, 5], [], V) })).toEqual([served(4, V)]);
    expect(retiredStillNeeded(records, { ...x, config: config(spec, [1, 2, 3], [], V + 1n) })).toEqual([rolledBack(5, T0)]);
    expect(retiredStillNeeded(records, { ...x, committedZxid: V + 1n })).toEqual([rolledBack(5, T0)]);
    expect(retiredStillNeeded(records, { ...x, config: config(spec, [1, 2, 3], [], V - 1n), committedZxid: 0n })).toEqual(records);
  });

  it('drops the record of an id the operation in flight hands out again, but not for a removal of it (a rollback) nor for another server', () => {
    const records = [served(4, V), rolledBack(5, T0)];
    const x = { config: config(spec, [1, 2, 3], [], V), committedZxid: V };
    expect(retiredStillNeeded(records, { ...x, operation: operation('add', 5) })).toEqual([served(4, V)]);
    expect(retiredStillNeeded(records, { ...x, operation: operation('spare', 4) })).toEqual([rolledBack(5, T0)]);
    expect(retiredStillNeeded(records, { ...x, operation: replacing(5, 2) })).toEqual([served(4, V)]);
    expect(retiredStillNeeded(records, { ...x, operation: operation('remove', 5, 'terminating') })).toEqual(records);
    expect(retiredStillNeeded(records, { ...x, operation: operation('add', 6) })).toEqual(records);
  });
});
