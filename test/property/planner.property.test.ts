import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterSpec, ControllerState, Operation } from '../../lib/config/index.js';
import {
  applyChange,
  hasQuorum,
  leaderOf,
  syncedIds,
  think,
  voterIds,
  type MemberProbe,
  type Observation,
  type ServerId,
  type Thought,
} from '../../lib/core/index.js';
import { config, down, hostOf, instance, notServing, serving, stateFor, T0, testSpec } from '../support/world.js';

// The design's safety rules, checked on random worlds (specs, memberships, probe results, instance
// states, operations in flight at any step, counters), and each shown to catch a planner that
// breaks it.

interface World {
  readonly spec: ClusterSpec;
  readonly state: ControllerState;
  readonly observed: Observation;
  readonly now: number;
}

/** Present in one world of five: each alone is common, all of them at once rare, so that worlds
 * where the planner scales or replaces freely stay frequent. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const probeKinds = ['serving', 'serving', 'serving', 'serving', 'serving', 'down', 'not-serving', 'bad-answer'] as const;

const arbWorld: fc.Arbitrary<World> = fc
  .record({
    votersDesired: fc.constantFrom(1, 3, 5, 7),
    observersDesired: fc.integer({ min: 0, max: 3 }),
    ids: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
    observerCount: fc.integer({ min: 0, max: 3 }),
    probeKinds: fc.array(fc.constantFrom(...probeKinds), { minLength: 12, maxLength: 12 }),
    leaderPick: fc.nat(),
    joiner: fc.option(fc.integer({ min: 13, max: 16 }), { nil: undefined }),
    joinerKind: fc.constantFrom(...probeKinds),
    opKind: fc.constantFrom('none', 'add', 'replace', 'remove'),
    opStep: fc.constantFrom('launching', 'syncing', 'reconfiguring', 'terminating'),
    opRole: fc.constantFrom('voter', 'observer'),
    opTarget: fc.nat(),
    misses: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 12, maxLength: 12 }),
    readable: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
    paused: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    extraInstance: fc.option(fc.integer({ min: 17, max: 20 }), { nil: undefined }),
    instanceGone: fc.option(fc.nat(), { nil: undefined }),
    elapsed: fc.integer({ min: 0, max: 2_000_000 }),
    // What operators, the spec and the world add: a replace request (in the requests document or
    // already in the state), a launch template some instances predate, read load, a schedule that
    // is or is not in force, zones avoided after failed launches, two servers that say they lead,
    // a member on a ZooKeeper too old for reconfig.
    replaceRequest: sometimes(fc.record({ pick: fc.nat(), inState: fc.boolean() })),
    template: sometimes(fc.array(fc.constantFrom('6', '7', '7'), { minLength: 12, maxLength: 12 })),
    load: sometimes(fc.integer({ min: 0, max: 20_000 })),
    schedule: sometimes(fc.record({ observersMin: fc.integer({ min: 0, max: 5 }), inForce: fc.boolean() })),
    avoided: sometimes(fc.subarray(['a', 'b', 'c'], { minLength: 1 })).map((zones) => zones ?? []),
    secondLeader: sometimes(fc.nat()),
    // A quiet world, sized as its spec asks, every member serving, nothing in flight: where the
    // planner rests unless a request, a template, load or a schedule says otherwise.
    quiet: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    oldVersion: sometimes(fc.record({ pick: fc.nat(), version: fc.constantFrom('3.5.5', '3.6.1', '3.4.14') })),
  })
  .map((r) => {
    const sorted = [...r.ids].sort((a, b) => a - b);
    const observerCount = Math.min(r.observerCount, sorted.length - 1);
    // A quiet world has an odd voter count: drop its last id when the voters would be even.
    const ids = r.quiet && (sorted.length - observerCount) % 2 === 0 ? sorted.slice(0, -1) : sorted;
    const observers = ids.slice(0, Math.min(observerCount, ids.length - 1));
    const voters = ids.filter((id) => !observers.includes(id));
    const spec = testSpec({
      voters: { min: 1, desired: r.quiet ? voters.length : r.votersDesired, max: 7 },
      observers: { min: 0, desired: r.quiet ? observers.length : r.observersDesired, max: 5 },
      paused: r.paused && !r.quiet,
      ...(r.template ? { launchTemplate: { id: 'lt-1', version: '7' } } : {}),
      ...(r.load !== undefined ? { load: { targets: { requestsPerSecond: 1000 } } } : {}),
      // T0 is a Tuesday, 12:00 UTC; a world is at most 34 min later.
      ...(r.schedule ? { schedules: [{ name: 'office', days: [r.schedule.inForce ? 'tue' : 'sun'], from: '08:00', to: '18:00', observersMin: r.schedule.observersMin }] } : {}),
    });
    const kindOf = (id: ServerId): (typeof probeKinds)[number] => (r.quiet ? 'serving' : (r.probeKinds[(id - 1) % 12] ?? 'serving'));
    const servingVoters = voters.filter((id) => kindOf(id) === 'serving');
    const leader = servingVoters.length > 0 ? servingVoters[r.leaderPick % servingVoters.length] : undefined;
    const otherLeader = r.secondLeader === undefined ? undefined : servingVoters.filter((id) => id !== leader)[r.secondLeader % servingVoters.length];
    const old = r.oldVersion === undefined ? undefined : ids[r.oldVersion.pick % ids.length];
    const probe = (id: ServerId, kind: (typeof probeKinds)[number], mode: 'follower' | 'observer' | 'leader'): MemberProbe =>
      kind === 'down'
        ? down(id)
        : kind === 'not-serving'
          ? notServing(id)
          : kind === 'bad-answer'
            ? { serverId: id, endpoint: `${hostOf(id)}:2181`, tookMs: 2, result: { status: 'bad-answer', detail: `conf: server.${id + 1} answered` } }
            : serving(id, id === otherLeader ? 'leader' : mode, id === old && r.oldVersion ? { version: r.oldVersion.version } : {});
    const joiner = r.quiet ? undefined : r.joiner;
    const probes = [
      ...ids.map((id) => probe(id, kindOf(id), id === leader ? 'leader' : observers.includes(id) ? 'observer' : 'follower')),
      ...(joiner !== undefined ? [probe(joiner, r.joinerKind, 'follower')] : []),
    ];
    const extra = r.quiet ? undefined : r.extraInstance;
    const instanceIds = [...ids, ...(joiner !== undefined ? [joiner] : []), ...(extra !== undefined ? [extra] : [])];
    const instances = instanceIds.map((id, i) => {
      const it = instance(id, !r.quiet && r.instanceGone === i ? 'terminated' : 'running', ['a', 'b', 'c'][id % 3]);
      return r.template ? { ...it, launchTemplateVersion: r.template[(id - 1) % 12] } : it;
    });
    const requested = r.replaceRequest === undefined ? undefined : ids[r.replaceRequest.pick % ids.length];
    const observed: Observation = {
      config: r.readable || r.quiet ? { readable: true, config: config(spec, voters, observers) } : { readable: false, reason: 'timeout' },
      probes,
      instances,
      requests: { reports: [], replace: requested !== undefined && !r.replaceRequest?.inState ? [requested] : [], forget: [] },
      ...(r.load !== undefined ? { load: { windowSeconds: 180, requestsPerSecond: r.load, connections: 0, avgLatencyMs: 1, outstandingRequests: 0 } } : {}),
    };
    const target = ids[r.opTarget % ids.length] as ServerId;
    const base = { startedAt: T0 - 10_000, step: r.opStep, stepSince: T0 - 10_000, why: 'generated' } as const;
    const joinerId = r.joiner ?? 13;
    const operation: Operation | undefined =
      r.quiet ? undefined
      : r.opKind === 'add'
        ? { kind: 'add', id: `add-${joinerId}`, serverId: joinerId, role: r.opRole, zone: 'a', ...base }
        : r.opKind === 'replace'
          ? { kind: 'replace', id: `replace-${joinerId}`, serverId: joinerId, replaces: target, role: r.opRole, zone: 'a', ...base }
          : r.opKind === 'remove'
            ? { kind: 'remove', id: `remove-${target}`, serverId: target, ...base }
            : undefined;
    const health = ids.flatMap((id) => {
      const misses = r.quiet ? 0 : (r.misses[(id - 1) % 12] ?? 0);
      return misses > 0 ? [{ serverId: id, misses, missingSince: T0 - 100_000, lastMiss: 'no answer (refused)', slowTicks: 0 }] : [];
    });
    const state: ControllerState = {
      ...stateFor(spec, observed),
      nextServerId: 21,
      health,
      ...(operation ? { operation } : {}),
      ...(requested !== undefined && r.replaceRequest?.inState ? { replaceRequests: [requested] } : {}),
      zonesAvoided: r.avoided.map((zone) => ({ zone, until: T0 + 3_000_000, why: 'generated' })),
    };
    return { spec, state, observed, now: T0 + r.elapsed };
  });

type Rule = (w: World, t: Thought) => string | undefined;

const synced = (w: World): Set<ServerId> => syncedIds(w.observed.probes);
const configOf = (w: World) => (w.observed.config.readable ? w.observed.config.config : undefined);

const rules: Record<string, Rule> = {
  'one membership change in flight: every launch and reconfig belongs to the one operation': (_w, t) => {
    const op = t.state.operation;
    if (t.step.kind === 'launch' && t.step.serverId !== op?.serverId) return `launch of ${t.step.serverId} outside operation ${op?.id}`;
    if (t.step.kind !== 'reconfig') return undefined;
    if (!op) return 'reconfig without an operation';
    if (t.step.change.kind !== 'incremental') return 'whole-list reconfig';
    const allowed = new Set([op.serverId, ...(op.kind === 'replace' ? [op.replaces] : [])]);
    const touched = [...t.step.change.add.map((m) => m.serverId), ...t.step.change.remove];
    return touched.every((id) => allowed.has(id)) ? undefined : `change touches ${touched} outside ${[...allowed]}`;
  },
  'a reconfig only when a quorum of the old AND the new voters is up and synced': (w, t) => {
    const c = configOf(w);
    if (t.step.kind !== 'reconfig' || !c) return undefined;
    if (!hasQuorum(voterIds(c.members), synced(w))) return 'old voters have no synced quorum';
    if (!hasQuorum(voterIds(applyChange(c.members, t.step.change)), synced(w))) return 'new voters have no synced quorum';
    return undefined;
  },
  'add before remove: a replaced member goes out only with its synced successor coming in': (w, t) => {
    const c = configOf(w);
    const op = t.state.operation;
    if (t.step.kind !== 'reconfig' || t.step.change.kind !== 'incremental' || !c || op?.kind !== 'replace') return undefined;
    if (!t.step.change.remove.includes(op.replaces)) return undefined;
    const successorIn = c.members.some((m) => m.serverId === op.serverId) || t.step.change.add.some((m) => m.serverId === op.serverId);
    if (!successorIn) return `server ${op.replaces} removed before ${op.serverId} is added`;
    return t.step.change.add.every((m) => synced(w).has(m.serverId)) ? undefined : 'an unsynced server is added';
  },
  'at rest the ensemble is what the spec asks: its voters, its observers (or what load and schedules make of them), no replacement due': (w, t) => {
    const c = configOf(w);
    if (t.step.kind !== 'none' || t.state.operation || !c) return undefined;
    // The oracle is the spec and the world, not the planner's own decision.
    const voters = voterIds(c.members).size;
    if (voters !== w.spec.voters.desired) return `rests with ${voters} voters, the spec asks for ${w.spec.voters.desired}`;
    const observers = c.members.length - voters;
    const schedule = w.spec.schedules.find((x) => x.days.includes('tue'))?.observersMin ?? 0;
    const floor = Math.max(w.spec.observers.min, schedule);
    if (w.observed.load === undefined && observers !== Math.max(w.spec.observers.desired, floor)) {
      return `rests with ${observers} observers, the spec asks for ${w.spec.observers.desired}${schedule ? ` and the schedule for at least ${schedule}` : ''}`;
    }
    if (observers < floor || observers > w.spec.observers.max) return `rests with ${observers} observers outside ${floor}..${w.spec.observers.max}`;
    const template = w.spec.launchTemplate?.version;
    const outdated = w.observed.instances.filter((i) => i.state !== 'terminated' && c.members.some((m) => m.serverId === i.serverId) && template !== undefined && i.launchTemplateVersion !== template);
    if (outdated.length > 0) return `rests with server ${outdated[0]?.serverId} on template ${outdated[0]?.launchTemplateVersion}, the spec has ${template}`;
    const requested = [...w.state.replaceRequests, ...w.observed.requests.replace].filter((id) => c.members.some((m) => m.serverId === id));
    return requested.length > 0 ? `rests with a replacement of ${requested} requested` : undefined;
  },
  'the leader is removed last: never picked for scale-in while another voter is there': (w, t) => {
    const c = configOf(w);
    const leader = leaderOf(w.observed.probes);
    if (t.step.kind !== 'reconfig' || !c || leader === undefined || w.state.operation) return undefined;
    if (t.state.operation?.kind !== 'remove' || !t.step.change.kind || t.step.change.kind !== 'incremental') return undefined;
    if (!t.step.change.remove.includes(leader)) return undefined;
    const leaderHealthy = t.detection.verdicts.get(leader)?.status === 'healthy';
    // A leader due for replacement (requested, noticed, outdated) that scale-in would take anyway
    // is removed instead of replaced: it leaves either way.
    const leaving = t.decision.replacements.some((r) => r.serverId === leader);
    const others = c.members.filter((m) => m.role === 'voter' && m.serverId !== leader);
    return leaderHealthy && !leaving && others.length > 0 ? `healthy leader ${leader} picked while ${others.length} other voters are there` : undefined;
  },
  'server ids are never reused': (w, t) => {
    if (t.step.kind !== 'launch') return undefined;
    if (w.state.operation?.serverId === t.step.serverId) return undefined; // resuming its own launch
    const c = configOf(w);
    const used = new Set([...(c?.members.map((m) => m.serverId) ?? []), ...w.observed.instances.map((i) => i.serverId)]);
    if (used.has(t.step.serverId) || t.step.serverId < w.state.nextServerId) return `launch reuses id ${t.step.serverId}`;
    return undefined;
  },
  'no server is stopped before its removal has committed': (w, t) => {
    const c = configOf(w);
    if (t.step.kind !== 'terminate') return undefined;
    if (!c) return 'terminate with an unreadable config';
    const { serverId } = t.step;
    return c.members.some((m) => m.serverId === serverId) ? `terminates member ${serverId} still in the config` : undefined;
  },
  'an unclear picture (config unreadable, no quorum) changes nothing': (w, t) => {
    const c = configOf(w);
    const unclear = !c || !hasQuorum(voterIds(c.members), synced(w));
    return unclear && t.step.kind !== 'wait' ? `${t.step.kind} while the picture is unclear` : undefined;
  },
};

type Planner = (w: World) => Thought;
const planner: Planner = (w) => think(w.spec, w.state, w.observed, w.now);

function holds(rule: Rule, plan: Planner): fc.IProperty<[World]> {
  return fc.property(arbWorld, (w) => {
    const violation = rule(w, plan(w));
    if (violation) throw new Error(violation);
  });
}

describe('safety rules of the planner', () => {
  it.each(Object.entries(rules))('%s', (_, rule) => {
    fc.assert(holds(rule, planner), { numRuns: 3000 });
  });
});

// Planners with one rule broken each: every rule must catch its own.
const firstVoter = (w: World): ServerId | undefined => configOf(w)?.members.find((m) => m.role === 'voter')?.serverId;
const broken: Record<string, Planner> = {
  'one membership change in flight: every launch and reconfig belongs to the one operation': (w) => {
    const t = planner(w);
    if (t.step.kind !== 'reconfig' || t.step.change.kind !== 'incremental') return t;
    const change = t.step.change;
    const other = configOf(w)?.members.find((m) => !change.remove.includes(m.serverId) && !change.add.some((a) => a.serverId === m.serverId));
    return other ? { ...t, step: { ...t.step, change: { ...change, remove: [...change.remove, other.serverId] } } } : t;
  },
  'a reconfig only when a quorum of the old AND the new voters is up and synced': (w) => {
    const t = planner(w);
    const c = configOf(w);
    const victim = firstVoter(w);
    if (t.step.kind !== 'wait' || !c || victim === undefined || !t.state.operation) return t;
    return { ...t, step: { kind: 'reconfig', change: { kind: 'incremental', add: [], remove: [victim], fromVersion: c.version }, why: 'broken' }, state: { ...t.state, operation: { ...t.state.operation, serverId: victim, kind: 'remove' } as Operation } };
  },
  'add before remove: a replaced member goes out only with its synced successor coming in': (w) => {
    const t = planner(w);
    if (t.step.kind !== 'reconfig' || t.step.change.kind !== 'incremental' || t.step.change.remove.length === 0) return t;
    return { ...t, step: { ...t.step, change: { ...t.step.change, add: [] } } };
  },
  'at rest the ensemble is what the spec asks: its voters, its observers (or what load and schedules make of them), no replacement due': (w) => {
    const t = planner(w);
    // "done" instead of growing or shrinking: rests short of (or beyond) the desired count
    const changesSize = t.step.kind === 'launch' || (t.step.kind === 'reconfig' && !w.state.operation);
    return changesSize ? { ...t, step: { kind: 'none', why: 'broken' }, state: { ...t.state, operation: undefined } } : t;
  },
  'the leader is removed last: never picked for scale-in while another voter is there': (w) => {
    const t = planner(w);
    const leader = leaderOf(w.observed.probes);
    if (t.step.kind !== 'reconfig' || t.step.change.kind !== 'incremental' || t.state.operation?.kind !== 'remove' || leader === undefined || w.state.operation) return t;
    return { ...t, step: { ...t.step, change: { ...t.step.change, remove: [leader] } } };
  },
  'server ids are never reused': (w) => {
    const t = planner(w);
    const reused = firstVoter(w);
    return t.step.kind === 'launch' && reused !== undefined ? { ...t, step: { ...t.step, serverId: reused } } : t;
  },
  'no server is stopped before its removal has committed': (w) => {
    const t = planner(w);
    if (t.step.kind !== 'reconfig' || t.step.change.kind !== 'incremental') return t;
    const [removed] = t.step.change.remove;
    return removed !== undefined ? { ...t, step: { kind: 'terminate', serverId: removed, why: 'broken' } } : t;
  },
  'an unclear picture (config unreadable, no quorum) changes nothing': (w) => {
    const t = planner(w);
    const victim = w.observed.instances[0]?.serverId;
    return t.step.kind === 'wait' && victim !== undefined ? { ...t, step: { kind: 'terminate', serverId: victim, why: 'broken' } } : t;
  },
};

describe('each safety property catches a planner that breaks its rule', () => {
  it.each(Object.keys(rules))('%s', (name) => {
    const rule = rules[name] as Rule;
    // A fixed seed: whether a broken planner is caught must not depend on the draw.
    const result = fc.check(holds(rule, broken[name] as Planner), { numRuns: 10_000, seed: 20261124 });
    expect(result.failed).toBe(true);
  });
});
