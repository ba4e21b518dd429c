import { PutParameterCommand, type PutParameterCommandInput } from '@aws-sdk/client-ssm';
import { SsmStateStore } from '../../../lib/adapters/aws/index.js';
import { MemoryMetrics } from '../../../lib/adapters/local/index.js';
import { ClusterSpecSchema, ControllerStateSchema, initialState, parseTickEvent, type ClusterSpec, type ControllerState } from '../../../lib/config/index.js';
import { handleTickEvent, tickCluster, type ClusterPorts, type Deps, type TickResult } from '../../../lib/controller/index.js';
import { LAUNCH_BACKOFF, seededRng, type ServerId } from '../../../lib/core/index.js';
import type { Log, StateStore } from '../../../lib/ports/index.js';
import alarmSample from '../../../events/alarm-server-down.json' with { type: 'json' };
import { FakeSsm } from '../fakeSsm.js';
import { showFault, type Fault, type History, type HistoryStep } from './faults.js';
import { convergenceGap, CONVERGED_WITHIN_TICKS, INVARIANTS, JOINER_FAULT_GRACE_MS, type InvariantName, type Ledger } from './invariants.js';
import { ModelWorld, ZONES, type Invocation } from './world.js';

// One adversarial history: the REAL tick (tickCluster / handleTickEvent), the REAL SSM state store
// and lease over FakeSsm, and the real core, against the model world; faults land before each
// step's tick, the invariants are checked after it. When the faults stop, one-minute ticks run
// until the cluster has reached the spec's sizes (or the bound is passed).

export const CLUSTER = 'orders';
const PREFIX = '/zk-autoscaler';
const LEASE = `${PREFIX}/${CLUSTER}/lease`;
const STATE = `${PREFIX}/${CLUSTER}/state`;
/** The deployed tick function's name: every invocation shares it (the tick id tells them apart). */
export const HOLDER = 'zk-autoscaler-prod-tick';
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
/** LEASE_TTL_SECONDS' default. */
const LEASE_TTL_MS = 300_000;
const noWait = { attempts: 3, baseDelayMs: 1, sleep: async () => undefined };
const LONG_REASON = `Threshold Crossed: 1 out of the last 1 datapoints [0.0 (24/11/26 12:00:00)] was less than the threshold (1.0) "é€😀" \u001b[31m${'x'.repeat(400)}`;

/** A bug planted around the real code, to show that an invariant catches it. */
export interface Plant {
  /** Wraps the ports every invocation gets: a broken fleet, probe or ensemble. */
  readonly ports?: (ports: ClusterPorts, world: ModelWorld) => ClusterPorts;
  /** Wraps the store every invocation gets. */
  readonly store?: (store: StateStore, x: { ssm: FakeSsm; world: ModelWorld }) => StateStore;
  /** A doctored step, after each step's ticks. */
  readonly afterStep?: (x: { world: ModelWorld; ssm: FakeSsm; step: number }) => Promise<void> | void;
}

export interface Violation {
  readonly invariant: InvariantName;
  readonly step: number;
  readonly message: string;
}

export interface HistoryOutcome {
  readonly violations: readonly Violation[];
  readonly trace: readonly string[];
  /** Tick invocations run (alarm ticks and parallel ones included). */
  readonly ticks: number;
  readonly steps: number;
  readonly converged: boolean;
}

export interface HistoryOptions {
  readonly plant?: Plant;
  /** Run the one-minute ticks after the faults stop (default true). */
  readonly settle?: boolean;
}

const silentLog: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silentLog };
/** A promise that never settles, fresh each time: one shared would keep every killed tick's
 * continuation (and its whole world) alive through its reaction list. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

export async function runHistory(history: History, options: HistoryOptions = {}): Promise<HistoryOutcome> {
  const ssm = new FakeSsm();
  const rng = seededRng(history.seed);
  const baseSpec = ClusterSpecSchema.parse({
    cluster: CLUSTER,
    zones: ZONES.map((name, i) => ({ name, subnetId: `subnet-0${i + 1}` })),
    launchTemplate: { id: 'lt-0abc', version: '1' },
    hotSpares: history.hotSpares ?? 0,
  });
  const world = new ModelWorld(baseSpec, rng, T0);
  // Every PutParameter the store sends, as sent (a refused one too): sinon's own call log is
  // searched with deep equality, which costs more than the tick.
  const sent: PutParameterCommandInput[] = [];
  const send = ssm.client.send.bind(ssm.client) as (command: unknown) => Promise<unknown>;
  (ssm.client as { send: unknown }).send = (command: unknown) => {
    if (command instanceof PutParameterCommand) sent.push(command.input);
    return send(command);
  };
  let spec: ClusterSpec = baseSpec;
  const store = new SsmStateStore(ssm.client, PREFIX, noWait, () => world.now);
  await store.writeSpec(CLUSTER, spec);
  ssm.set(`${PREFIX}/${CLUSTER}/super-password`, 'a-password-of-at-least-24-chars', 'SecureString');
  const setup = await store.acquireLease(CLUSTER, 'setup', 1000, world.now);
  if (!setup) throw new Error('setup lease');
  await store.writeState(CLUSTER, { ...initialState(CLUSTER, 4), leader: { serverId: 1, changes: [] } }, setup);
  await store.releaseLease(setup);

  const ledger: Ledger = { initialIds: new Set([1, 2, 3]), failuresInjected: 0, scaleOuts: 0, failing: new Map(), actorViolations: [], joinerFaultUntil: 0, quietTicks: undefined, spread: { crowdedChecks: 0, blocked: false } };
  const trace: string[] = [];
  const violations: Violation[] = [];
  let ticks = 0;
  let invocations = 0;
  const leaseAcquiredSeq = new Map<number, number>();
  world.onAct = (act) => {
    const holder = validLeaseHolder(ssm, world.now);
    if (act.holder === undefined || holder !== act.holder) {
      ledger.actorViolations.push(`${act.what} by invocation ${act.invocation} (lease ${act.holder ?? 'none'}) while the valid lease is ${holder ?? 'nobody\'s'}`);
    }
    const since = leaseAcquiredSeq.get(act.invocation);
    const other = world.acts.find((a) => a.invocation !== act.invocation && since !== undefined && a.startSeq >= since);
    if (other) ledger.actorViolations.push(`${act.what} by invocation ${act.invocation} interleaves with ${other.what} by invocation ${other.invocation}`);
  };

  const timers = { down: new Map<string, number>(), noCapacity: new Map<string, number>(), lagUntil: 0 };
  const refreshTimers = (): void => {
    for (const [zone, until] of timers.down) if (until <= world.now) (timers.down.delete(zone), world.zonesDown.delete(zone));
    for (const [zone, until] of timers.noCapacity) if (until <= world.now) (timers.noCapacity.delete(zone), world.zonesWithoutCapacity.delete(zone));
    if (timers.lagUntil <= world.now) world.listLagMs = 0;
  };

  /** One invocation of the tick function; `crash` kills it at its n-th call (store or port). */
  const invoke = (crash?: Extract<Fault, { kind: 'controller-killed' }>): { deps: Deps; dead: Promise<'killed'> } => {
    const inv: Invocation = { id: ++invocations, holder: undefined };
    let calls = 0;
    let dead = false;
    let die: (v: 'killed') => void = () => undefined;
    const dead$ = new Promise<'killed'>((resolve) => (die = resolve));
    const gate = async <T>(_call: string, work: () => Promise<T>): Promise<T> => {
      if (dead) return never();
      const n = calls++;
      if (crash && n === crash.atCall) {
        dead = true;
        if (crash.when === 'after') await work().catch(() => undefined);
        die('killed');
        return never(); // a killed Lambda answers nothing more, and releases nothing
      }
      const result = await work();
      return dead ? never() : result;
    };
    let invStore: StateStore = gatedStore(store, gate, (lease) => {
      inv.holder = lease.holder;
      leaseAcquiredSeq.set(inv.id, world.seqNow);
    });
    if (options.plant?.store) invStore = options.plant.store(invStore, { ssm, world });
    const deps: Deps = {
      store: invStore,
      metrics: new MemoryMetrics(silentLog),
      load: new MemoryMetrics(silentLog),
      log: silentLog,
      holder: HOLDER,
      leaseTtlMs: LEASE_TTL_MS,
      clock: () => world.now,
      portsFor: async () => {
        const ports = world.portsFor(inv, gate);
        return options.plant?.ports ? options.plant.ports(ports, world) : ports;
      },
    };
    return { deps, dead: dead$ };
  };

  const tick = async (crash?: Extract<Fault, { kind: 'controller-killed' }>): Promise<string> => {
    ticks++;
    const { deps, dead } = invoke(crash);
    const r = await Promise.race([tickCluster(deps, CLUSTER, { kind: 'schedule' }), dead]);
    return r === 'killed' ? 'killed' : showResult(r);
  };
  const alarmTick = async (serverId: ServerId, crash?: Extract<Fault, { kind: 'controller-killed' }>): Promise<string> => {
    ticks++;
    const { deps, dead } = invoke(crash);
    const r = await Promise.race([handleTickEvent(deps, parseTickEvent(alarmEvent(serverId)), world.now).catch((err: unknown) => `alarm refused: ${String(err)}`), dead]);
    return r === 'killed' ? 'killed' : typeof r === 'string' ? r : r.map(showResult).join(' / ');
  };

  let putsSeen = 0;
  let lastCheckAt = world.now;
  let commitsSeen = 0;
  let actsSeen = 0;
  const check = (step: number, faults: readonly Fault[]): void => {
    const state = storedState(ssm);
    // Failed voters, by the world's truth, and whether this step gave the controller a fair chance.
    const joinerFaultWaitedOut = world.now > Math.max(ledger.joinerFaultUntil, world.lastBadLaunchAt + JOINER_FAULT_GRACE_MS);
    const fair =
      world.serves() &&
      joinerFaultWaitedOut &&
      !launchesStopped(state, world.now) &&
      ZONES.some((z) => !world.zonesDown.has(z) && !world.zonesWithoutCapacity.has(z)) &&
      !faults.some((f) => f.kind === 'controller-killed' || f.kind === 'ssm-throttled');
    const voters = world.voters();
    for (const id of [...ledger.failing.keys()]) if (!voters.has(id)) ledger.failing.delete(id);
    const checkedAt = lastCheckAt;
    lastCheckAt = world.now;
    for (const id of voters) {
      const i = world.instanceOf(id);
      if (i && world.answering(i)) {
        ledger.failing.delete(id);
        continue;
      }
      const f = ledger.failing.get(id) ?? { sinceStep: step, since: world.now, eligibleTicks: 0, eligibleMs: 0 };
      ledger.failing.set(id, f);
      if (fair) {
        f.eligibleTicks++;
        f.eligibleMs += Math.min(world.now - f.since, world.now - checkedAt);
      }
    }
    const puts = sent.slice(putsSeen);
    putsSeen = sent.length;
    const c = {
      world,
      spec,
      state,
      ledger: { ...ledger, failuresInjected: ledger.failuresInjected + world.badLaunchesUsed },
      commits: world.commits.slice(commitsSeen),
      acts: world.acts.slice(actsSeen),
      puts,
    };
    commitsSeen = world.commits.length;
    actsSeen = world.acts.length;
    for (const [name, invariant] of Object.entries(INVARIANTS) as [InvariantName, (typeof INVARIANTS)[InvariantName]][]) {
      const message = invariant(c);
      if (message !== undefined) violations.push({ invariant: name, step, message });
    }
    ledger.actorViolations.length = 0;
  };

  const applyFault = async (f: Fault): Promise<string> => {
    switch (f.kind) {
      case 'no-capacity': {
        const zone = ZONES[f.zone % ZONES.length] as string;
        timers.noCapacity.set(zone, Math.max(timers.noCapacity.get(zone) ?? 0, world.now + f.minutes * 60_000));
        world.zonesWithoutCapacity.add(zone);
        return `${zone} without capacity`;
      }
      case 'list-lag':
        timers.lagUntil = Math.max(timers.lagUntil, world.now + f.minutes * 60_000);
        world.listLagMs = f.seconds * 1000;
        return 'ok';
      case 'address-reuse':
        world.reuseAddress = true;
        return 'ok';
      case 'bad-joiner':
        world.badLaunches.push({ kind: f.how });
        return 'ok';
      case 'zone-outage': {
        const zone = ZONES[f.zone % ZONES.length] as string;
        const synced = world.syncedIds();
        const outside = new Set([...synced].filter((id) => world.instanceOf(id)?.zone !== zone));
        if (!world.zonesDown.has(zone) && !hasMajority(world.voters(), outside)) return `${zone} skipped: it would take the quorum`;
        if (!world.zonesDown.has(zone)) ledger.failuresInjected += world.instances.filter((i) => i.zone === zone && i.state !== 'terminated').length;
        timers.down.set(zone, Math.max(timers.down.get(zone) ?? 0, world.now + f.minutes * 60_000));
        world.zonesDown.add(zone);
        return `${zone} down`;
      }
      case 'server-down': {
        const live = world.instances.filter((i) => i.state !== 'terminated').sort((a, b) => a.serverId - b.serverId);
        const victim = live[f.victim % Math.max(1, live.length)];
        if (!victim) return 'skipped: nothing runs';
        const synced = world.syncedIds();
        synced.delete(victim.serverId);
        if (world.voters().has(victim.serverId) && !hasMajority(world.voters(), synced)) return `server ${victim.serverId} skipped: it would take the quorum`;
        if (!world.config.members.some((m) => m.serverId === victim.serverId)) ledger.joinerFaultUntil = world.now + JOINER_FAULT_GRACE_MS;
        world.kill(victim.serverId, f.how);
        ledger.failuresInjected++;
        return `server ${victim.serverId} ${f.how}`;
      }
      case 'alarm-storm': {
        const live = world.instances.filter((i) => i.state !== 'terminated').sort((a, b) => a.serverId - b.serverId);
        const serverId = live[f.victim % Math.max(1, live.length)]?.serverId ?? 1;
        if (f.via === 'alarm') return `alarms on ${serverId}`; // the step's ticks are the alarms' own
        for (let n = 0; n < f.reports; n++) {
          await store
            .addRequest(CLUSTER, { id: `report-${serverId}-${world.now + n}`, kind: 'report', serverId, reason: LONG_REASON, at: world.now + n })
            .catch((err: unknown) => trace.push(`   operator report refused: ${String(err).slice(0, 160)}`));
        }
        return `${f.reports} operator reports on ${serverId}`;
      }
      case 'ssm-throttled':
        ssm.throttle.set(f.operation, (ssm.throttle.get(f.operation) ?? 0) + f.calls);
        return 'ok';
      case 'resize': {
        const next = ClusterSpecSchema.parse({ ...spec, voters: { ...spec.voters, desired: f.voters }, observers: { ...spec.observers, desired: f.observers } });
        // The operator's write goes through the same (possibly throttled) SSM.
        const refused = await store.writeSpec(CLUSTER, next).then(() => undefined, (err: unknown) => String(err).slice(0, 120));
        if (refused) return `spec write refused: ${refused}`;
        ledger.scaleOuts += Math.max(0, f.voters - spec.voters.desired) + Math.max(0, f.observers - spec.observers.desired);
        spec = next;
        return 'ok';
      }
      case 'controller-killed':
      case 'two-invocations':
        return 'ok';
    }
  };

  const runStep = async (step: number, s: HistoryStep): Promise<void> => {
    world.now += s.dt * 1000;
    refreshTimers();
    const notes: string[] = [];
    for (const f of s.faults) {
      const note = await applyFault(f);
      notes.push(note === 'ok' ? showFault(f) : `${showFault(f)}: ${note}`);
    }
    const crash = s.faults.find((f): f is Extract<Fault, { kind: 'controller-killed' }> => f.kind === 'controller-killed');
    const storm = s.faults.find((f): f is Extract<Fault, { kind: 'alarm-storm' }> => f.kind === 'alarm-storm' && f.via === 'alarm');
    let outcome: string;
    if (storm) {
      const live = world.instances.filter((i) => i.state !== 'terminated').sort((a, b) => a.serverId - b.serverId);
      const serverId = live[storm.victim % Math.max(1, live.length)]?.serverId ?? 1;
      const outcomes: string[] = [];
      for (let n = 0; n < storm.reports; n++) {
        if (n > 0) world.now += 1000;
        outcomes.push(await alarmTick(serverId, n === 0 ? crash : undefined));
      }
      outcome = outcomes.join(' | ');
    } else if (s.faults.some((f) => f.kind === 'two-invocations')) {
      outcome = (await Promise.all([tick(crash), tick()])).join(' || ');
    } else {
      outcome = await tick(crash);
    }
    await options.plant?.afterStep?.({ world, ssm, step });
    ledger.spread.blocked = /lease-held|killed/.test(outcome);
    trace.push(`#${step} t=${Math.round((world.now - T0) / 1000)}s +${s.dt}s [${notes.join('; ')}] -> ${outcome} | ${showWorld(world, storedState(ssm))}`);
    check(step, s.faults);
  };

  let step = 0;
  for (const s of history.steps) {
    await runStep(step++, s);
    if (violations.length > 0) return { violations, trace, ticks, steps: step, converged: false };
  }
  let converged = false;
  if (options.settle !== false) {
    // The faults stop: capacity and zones come back, EC2 catches up, launches are sound. Servers
    // that died stay dead: replacing them is the controller's job.
    timers.down.clear();
    timers.noCapacity.clear();
    timers.lagUntil = 0;
    world.zonesDown.clear();
    world.zonesWithoutCapacity.clear();
    world.listLagMs = 0;
    world.reuseAddress = false;
    world.badLaunches.length = 0;
    ssm.throttle.clear();
    trace.push('-- faults stop --');
    ledger.quietTicks = 0;
    for (let n = 0; n <= CONVERGED_WITHIN_TICKS; n++) {
      ledger.quietTicks = n;
      // Launches stopped by three joiners that never joined wait for the operator, whom the
      // LaunchFailing alarm calls: here the operator fixes the launch template.
      if (launchesStopped(storedState(ssm), world.now) && storedState(ssm)?.launchFailures?.template === spec.launchTemplate?.version) {
        spec = ClusterSpecSchema.parse({ ...spec, launchTemplate: { id: 'lt-0abc', version: String(Number(spec.launchTemplate?.version ?? '1') + 1) } });
        await store.writeSpec(CLUSTER, spec);
        trace.push(`-- launches were stopped: the operator moves the spec to launch template version ${spec.launchTemplate?.version} --`);
      }
      await runStep(step++, { dt: 60, faults: [] });
      if (violations.length > 0) break;
      if (convergenceGap(world, spec, storedState(ssm)) === undefined) {
        converged = true;
        break;
      }
    }
  }
  return { violations, trace, ticks, steps: step, converged };
}

function hasMajority(voters: ReadonlySet<ServerId>, up: ReadonlySet<ServerId>): boolean {
  return [...voters].filter((id) => up.has(id)).length > voters.size / 2;
}

/** The store, every call through the invocation's gate; `onLease` sees each lease it takes. */
function gatedStore(store: StateStore, gate: <T>(call: string, work: () => Promise<T>) => Promise<T>, onLease: (lease: { holder: string }) => void): StateStore {
  return {
    listClusters: () => gate('store.listClusters', () => store.listClusters()),
    readSpec: (c) => gate('store.readSpec', () => store.readSpec(c)),
    writeSpec: (c, s) => gate('store.writeSpec', () => store.writeSpec(c, s)),
    readState: (c) => gate('store.readState', () => store.readState(c)),
    writeState: (c, s, l) => gate('store.writeState', () => store.writeState(c, s, l)),
    acquireLease: (c, h, ttl, now) =>
      gate('store.acquireLease', async () => {
        const lease = await store.acquireLease(c, h, ttl, now);
        if (lease) onLease(lease);
        return lease;
      }),
    holdsLease: (l, now) => gate('store.holdsLease', () => store.holdsLease(l, now)),
    releaseLease: (l) => gate('store.releaseLease', () => store.releaseLease(l)),
    readRequests: (c) => gate('store.readRequests', () => store.readRequests(c)),
    addRequest: (c, r) => gate('store.addRequest', () => store.addRequest(c, r)),
    publishConnectString: (c, render) => gate('store.publishConnectString', () => store.publishConnectString(c, render)),
    readConnectString: (c) => gate('store.readConnectString', () => store.readConnectString(c)),
  };
}

/** The lease record SSM holds as valid (the latest whose version is basedOn + 1), if unexpired. */
export function validLeaseHolder(ssm: FakeSsm, now: number): string | undefined {
  const versions = ssm.params.get(LEASE) ?? [];
  for (let k = versions.length - 1; k >= 0; k--) {
    const v = versions[k];
    if (!v) continue;
    const r = JSON.parse(v.value) as { holder: string; expiresAt: number; basedOn: number };
    if (r.basedOn + 1 === v.version || v.version === 1) return r.expiresAt > now ? r.holder : undefined;
  }
  return undefined;
}

const parsedStates = new WeakMap<object, ControllerState | undefined>();

/** The state as SSM holds it now (parsed once per version). */
export function storedState(ssm: FakeSsm): ControllerState | undefined {
  const top = ssm.params.get(STATE)?.at(-1);
  if (!top) return undefined;
  if (parsedStates.has(top)) return parsedStates.get(top);
  const parsed = ControllerStateSchema.safeParse(JSON.parse(top.value));
  const state = parsed.success ? parsed.data : undefined;
  parsedStates.set(top, state);
  return state;
}

function alarmEvent(serverId: ServerId): unknown {
  const event = structuredClone(alarmSample) as typeof alarmSample;
  event.alarmData.state.reason = LONG_REASON;
  const metric = event.alarmData.configuration.metrics[0];
  if (metric) metric.metricStat.metric.dimensions = { service: 'zk-autoscaler', cluster: CLUSTER, serverId: String(serverId) };
  return event;
}

function showResult(r: TickResult): string {
  const why = r.why.length > 140 ? `${r.why.slice(0, 140)}...` : r.why;
  return `${r.outcome}${r.step ? ` ${r.step.kind}` : ''}: ${why}`;
}

function showWorld(world: ModelWorld, state: ControllerState | undefined): string {
  const synced = world.syncedIds();
  const members = world.config.members.map((m) => `${m.serverId}${m.role === 'observer' ? 'o' : ''}${synced.has(m.serverId) ? '' : '!'}@${world.instanceOf(m.serverId)?.zone.slice(-1) ?? '-'}`);
  const others = world.instances.filter((i) => i.state !== 'terminated' && !world.config.members.some((m) => m.serverId === i.serverId)).map((i) => `${i.serverId}:${i.state}@${i.zone.slice(-1)}`);
  const op = state?.operation ? ` op ${state.operation.id}/${state.operation.step}` : '';
  return `config ${world.config.version.toString(16)} [${members.join(' ')}]${others.length ? ` others [${others.join(' ')}]` : ''}${op}`;
}

/** A failing history as a replayable report: the history itself (paste it into runHistory) and its trace. */
export function formatFailure(history: History, outcome: HistoryOutcome): string {
  const v = outcome.violations.map((x) => `  ${x.invariant} at step ${x.step}: ${x.message}`).join('\n');
  const faults = history.steps.flatMap((s, i) => (s.faults.length ? [`#${i}: ${s.faults.map(showFault).join(', ')}`] : [])).join('\n  ');
  return `invariant broken after ${outcome.ticks} ticks:\n${v}\nhistory seed ${history.seed}, ${history.hotSpares ?? 0} hot spares, faults per step:\n  ${faults || '(none)'}\ntrace:\n${outcome.trace.join('\n')}\nreplay: runHistory(${JSON.stringify(history)})`;
}

/** Whether the controller holds launches back on purpose: three joiners from this template ran and
 * never joined (the LaunchFailing alarm's case); a failed voter waits for the operator then. */
function launchesStopped(state: ControllerState | undefined, now: number): boolean {
  const failures = state?.launchFailures;
  return failures !== undefined && failures.faulty >= LAUNCH_BACKOFF.stopAfter && now - failures.lastAt < LAUNCH_BACKOFF.stoppedMs;
}
