import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ClusterSpec } from '../config/spec.js';
import { initialState, type ControllerState } from '../config/state.js';
import {
  changeTouches,
  connectStrings,
  fitState,
  launchLanded,
  hexVersion,
  think,
  type ConfigMember,
  type EnsembleConfig,
  type FailureReport,
  type Observation,
  type ServerId,
  type Step,
  type Thought,
} from '../core/index.js';
import { toControllerError, type ControllerError } from '../errors.js';
import type { Ensemble, EnsembleSession, Fleet, Log, MetricsSink, MetricsSource, Probe, StateStore, SuperUser, TickMetrics } from '../ports/index.js';
import { createStep } from './create.js';
import { fenceFor, type CALL_MAX_MS } from './fence.js';
import { launchRequest } from './launchRequest.js';
import { adminServerFor, observe } from './observe.js';
import { tickMetrics } from './metrics.js';

// One tick for one cluster: load spec + state -> observe -> publish metrics -> think (detect,
// decide, plan: pure) -> take the lease, persist the state first, then act: one step -> release.
// A tick that only observes and finds nothing to do writes nothing and takes no lease. The lease is
// this tick's own (its holder names the tick), and every acting call is fenced: it starts only if
// the lease is still ours and will outlast the call.

export type Trigger =
  | { readonly kind: 'schedule' }
  | { readonly kind: 'alarm'; readonly alarm: string }
  /** An EC2 or Health event about one of the cluster's instances (`event` says what it said). */
  | { readonly kind: 'instance'; readonly event: string; readonly gone?: readonly string[] }
  /** Again while a new member is on its way. */
  | { readonly kind: 'follow-up' }
  | { readonly kind: 'manual'; readonly command: string };

export interface ClusterPorts {
  readonly fleet: Fleet;
  readonly probe: Probe;
  readonly ensemble: Ensemble;
  readonly superUser: SuperUser;
}

export interface Deps {
  readonly store: StateStore;
  readonly metrics: MetricsSink;
  readonly load: MetricsSource;
  readonly log: Log;
  /** This controller's name; each tick's lease holder is this name plus the tick's id. */
  readonly holder: string;
  readonly leaseTtlMs: number;
  clock(): number;
  portsFor(cluster: string, spec: ClusterSpec): Promise<ClusterPorts>;
  /** Lists the instances of clusters about to tick together (a batch from the queue) once, for
   * their fleets to share; absent where each cluster lists for itself. */
  prepareListing?(clusters: readonly string[]): void;
  /** Sees every tick's inputs and step (the simulator replays them through the same core). */
  readonly recorder?: (record: TickRecord) => void;
}

/** What one tick decided from: enough to replay its judgement. */
export interface TickRecord {
  readonly cluster: string;
  readonly now: number;
  readonly spec: ClusterSpec;
  readonly state: ControllerState;
  readonly observation: Observation;
  readonly step: Step;
}

export type TickOutcome =
  /** Nothing to do, nothing written. */
  | 'steady'
  /** Blocked (waiting for a joiner, a quorum, a cooldown...), or only the state changed. */
  | 'waited'
  | 'acted'
  /** Another controller holds the lease: this one changed nothing. */
  | 'lease-held'
  /** The plan was computed and shown, not acted on (`plan`, the dry run). */
  | 'planned'
  | 'failed';

export interface TickResult {
  readonly cluster: string;
  readonly tickId: string;
  readonly outcome: TickOutcome;
  readonly why: string;
  readonly step?: Step;
  readonly reports: readonly FailureReport[];
  readonly error?: ControllerError;
  readonly thought?: Thought;
  readonly observation?: Observation;
  readonly durationMs: number;
}

export interface TickOptions {
  /** Compute and report the plan; change nothing. */
  readonly dryRun?: boolean;
}

/** Every cluster under the store (or those given, already listed), in parallel, each isolated: one
 * broken cluster stalls no other. */
export async function runTick(deps: Deps, trigger: Trigger, options: TickOptions = {}, clusters?: readonly string[]): Promise<TickResult[]> {
  const all = clusters ?? (await deps.store.listClusters());
  return Promise.all(all.map((cluster) => tickCluster(deps, cluster, trigger, options)));
}

export async function tickCluster(deps: Deps, cluster: string, trigger: Trigger, options: TickOptions = {}): Promise<TickResult> {
  const started = deps.clock();
  const tickId = randomUUID().slice(0, 8);
  const log = deps.log.child({ cluster, tickId, trigger: trigger.kind });
  const result = (outcome: TickOutcome, why: string, extra: Partial<TickResult> = {}): TickResult => ({
    cluster,
    tickId,
    outcome,
    why,
    reports: [],
    durationMs: deps.clock() - started,
    ...extra,
  });
  let session: EnsembleSession | undefined;
  try {
    const spec = await deps.store.readSpec(cluster);
    let stored = await deps.store.readState(cluster);
    if (!stored && !options.dryRun && (await deps.store.readRequests(cluster)).some((r) => r.kind === 'create')) {
      // An operator asked for the cluster (the manual function cannot launch): create it first.
      const created = await createStep(deps, cluster);
      if (created.outcome !== 'created') return result(created.outcome === 'lease-held' ? 'lease-held' : 'waited', `creating ${cluster}: ${created.why}`);
      log.info(`created ${cluster}: ${created.why}`, { members: created.members.map((m) => `${m.serverId}@${m.host}`).join(',') });
      stored = await deps.store.readState(cluster);
    }
    const state = stored?.state ?? initialState(cluster);
    const ports = await deps.portsFor(cluster, spec);
    const now = deps.clock();
    const observed = await observe({ spec, state, ports, store: deps.store, load: deps.load, now, log });
    session = observed.session;
    const thought = think(spec, observed.state, observed.observation, now);
    const { step } = thought;
    deps.recorder?.({ cluster, now, spec, state: observed.state, observation: observed.observation, step });
    const common = { step, reports: thought.detection.reports, thought, observation: observed.observation };

    const metrics = tickMetrics(cluster, now, observed.observation, thought);
    await deps.metrics.publish(metrics).catch((err: unknown) => log.warn('metrics not published', { error: toControllerError(err) }));
    for (const report of thought.detection.reports) log.warn('failure report', { ...report });
    log.info(step.why, { step: step.kind, ...decisionFields(observed.observation, thought, metrics) });

    if (options.dryRun) return result('planned', step.why, common);
    if (observed.observation.config.readable) {
      const { config } = observed.observation.config;
      await deps.store.publishConnectString(cluster, (published) => connectStrings(spec, config, observed.observation.probes, thought.state.roundRobinCursor, published));
    }
    if (!acts(step) && isDeepStrictEqual(thought.state, state)) {
      return result(step.kind === 'none' ? 'steady' : 'waited', step.why, common);
    }

    const lease = await deps.store.acquireLease(cluster, `${deps.holder}:${tickId}`, deps.leaseTtlMs, deps.clock());
    if (!lease) {
      log.info('another controller holds the lease: changing nothing');
      return result('lease-held', 'another controller holds the lease', common);
    }
    try {
      // Someone may have acted between our read and our claim: then our plan is stale.
      const again = await deps.store.readState(cluster);
      if (again?.version !== stored?.version) {
        return result('lease-held', 'the state changed since it was read: another controller acted; next tick re-plans', common);
      }
      await deps.store.writeState(cluster, thought.state, lease); // write-ahead: a crash from here on is resumed
      if (!acts(step)) return result('waited', step.why, common);
      const landed = await execute(step, { spec, ports, session, sessionServer: observed.sessionServer, observation: observed.observation, log, fence: fenceFor(deps, lease) });
      if (landed) {
        // EC2 put the server in another zone (no capacity where asked): the state follows it.
        const moved = launchLanded(thought.state, landed.serverId, landed.zone, deps.clock(), spec.launchTemplate?.version ?? '');
        if (moved !== thought.state) await deps.store.writeState(cluster, fitState(moved), lease);
      }
      return result('acted', step.why, common);
    } finally {
      await deps.store.releaseLease(lease);
    }
  } catch (err) {
    const error = toControllerError(err);
    const level = error.kind === 'transient' || error.kind === 'conflict' ? 'warn' : 'error';
    log[level](`tick failed: ${error.message}`, { error, kind: error.kind });
    return result('failed', error.message, { error });
  } finally {
    await session?.close().catch((err: unknown) => log.warn('admin session did not close cleanly', { error: toControllerError(err) }));
  }
}

interface Execution {
  readonly spec: ClusterSpec;
  readonly ports: ClusterPorts;
  readonly session: EnsembleSession | undefined;
  readonly sessionServer: ServerId | undefined;
  readonly observation: Observation;
  readonly log: Log;
  /** Resolves when `call` may start under the lease; throws (and nothing is called) otherwise. */
  readonly fence: (call: keyof typeof CALL_MAX_MS) => Promise<void>;
}

/** The steps that change the ensemble or the fleet: taken under the lease, after the write-ahead. */
type Act = Extract<Step, { kind: 'launch' | 'reconfig' | 'terminate' }>;

function acts(step: Step): step is Act {
  return step.kind === 'launch' || step.kind === 'reconfig' || step.kind === 'terminate';
}

/** Runs the step; a launch answers where the server really went. */
async function execute(step: Act, x: Execution): Promise<{ serverId: ServerId; zone: string } | undefined> {
  // The core plans no act without a readable config (an unclear picture changes nothing).
  if (!x.observation.config.readable) throw new Error(`${step.kind} planned without a readable config`);
  const { config } = x.observation.config;
  switch (step.kind) {
    case 'launch': {
      const request = await launchRequest(x.spec, x.ports, step, { kind: 'join', committed: config.members });
      await x.fence('launch');
      const instance = await x.ports.fleet.launch(request);
      x.log.info(`launched server ${step.serverId}`, { serverId: step.serverId, instanceId: instance.instanceId, zone: instance.zone });
      return { serverId: step.serverId, zone: instance.zone };
    }
    case 'reconfig': {
      await x.fence('reconfig');
      const { change } = step;
      const outcome = await withAdmin(x, config, (admin) => admin.reconfig(change, config), (id) => !changeTouches(change, id));
      const fields = { outcome: outcome.outcome, configVersion: hexVersion(outcome.config.version), members: outcome.config.members.map((m) => `${m.serverId}:${m.role}`).join(',') };
      if (outcome.outcome === 'committed') x.log.info(`reconfig committed (${outcome.via})`, fields);
      else x.log.warn(`reconfig ${outcome.outcome}: the next tick decides from what it sees`, { ...fields, cause: outcome.cause.message });
      return;
    }
    case 'terminate': {
      // The removed server stops only after a later write went through the new quorum.
      await x.fence('terminate');
      if (step.bootLog) await keepBootLog(step.serverId, x);
      // Never a member (the core stops none before its removal committed): any member may confirm.
      await withAdmin(x, config, (admin) => admin.confirmWrite());
      await x.ports.fleet.terminate(step.serverId);
      x.log.info(`terminated server ${step.serverId}`, { serverId: step.serverId });
      return;
    }
  }
}

/** Runs `call` on an admin session to the member adminServerFor picks (one `untouched` accepts, if
 * there is one): the observed session when it is connected there, else one opened for it. */
async function withAdmin<T>(x: Execution, config: EnsembleConfig, call: (admin: EnsembleSession) => Promise<T>, untouched?: (id: ServerId) => boolean): Promise<T> {
  const pick = (accepts: (id: ServerId) => boolean): ConfigMember | undefined => adminServerFor(config, x.observation.probes, x.observation.instances, accepts, x.sessionServer);
  const member = (untouched ? pick(untouched) : undefined) ?? pick(() => true);
  if (!member) throw new Error('a step planned with no serving member of the config to send it through');
  if (x.session && member.serverId === x.sessionServer) return call(x.session);
  const admin = await x.ports.ensemble.open(`${member.clientHost}:${member.clientPort}`);
  try {
    return await call(admin);
  } finally {
    await admin.close().catch((err: unknown) => x.log.warn('admin session did not close cleanly', { error: toControllerError(err) }));
  }
}

/** A joiner that failed to join leaves its boot log in ours: the first thing an operator reads. */
async function keepBootLog(serverId: number, x: Execution): Promise<void> {
  try {
    const bootLog = await x.ports.fleet.bootLog(serverId);
    x.log.error(`server ${serverId} failed to join: ${bootLog === undefined ? 'no boot log' : 'the last lines of its boot log follow'}`, { serverId, bootLog });
  } catch (err) {
    // Evidence is worth a warning, not the rollback: the server is stopped all the same.
    x.log.warn(`server ${serverId} failed to join; its boot log could not be read`, { serverId, error: toControllerError(err) });
  }
}

function decisionFields(observation: Observation, thought: Thought, metrics: TickMetrics): Record<string, unknown> {
  return {
    voters: metrics.voters,
    votersSynced: metrics.votersSynced,
    observers: metrics.observers,
    ...(observation.config.readable ? { configVersion: hexVersion(observation.config.config.version) } : {}),
    desiredVoters: thought.decision.voters.desired,
    desiredObservers: thought.decision.observers.desired,
    ...(thought.state.operation ? { operation: thought.state.operation.id, operationStep: thought.state.operation.step } : {}),
  };
}

