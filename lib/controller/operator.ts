import { ClusterSpecSchema } from '../config/spec.js';
import { parseOrThrow } from '../config/parse.js';
import type { OperatorAction } from '../config/operator.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { statusView } from './status.js';
import { tickCluster, type Deps, type TickResult } from './tick.js';

// The operator's actions, shared by the CLI and the `manual` Lambda. Read-only ones observe (a dry
// run of the tick); the others record intent in the spec or the requests, which the next tick acts
// on: only the tick writes the state.

export interface OperatorResult {
  readonly cluster: string;
  readonly action: OperatorAction['action'];
  /** One sentence for a person. */
  readonly message: string;
  /** The same, as data for scripts. */
  readonly data: Record<string, unknown>;
}

export async function runOperatorAction(deps: Deps, action: OperatorAction, now: number): Promise<OperatorResult> {
  const { cluster } = action;
  const result = (message: string, data: Record<string, unknown>): OperatorResult => ({ cluster, action: action.action, message, data });
  if (action.action === 'spec-set') {
    // The first spec of a new cluster, or a replacement: validated whole either way.
    const next = parseOrThrow(ClusterSpecSchema, action.spec, 'spec');
    if (next.cluster !== cluster) throw new InvalidInputError('spec', [`cluster: ${JSON.stringify(next.cluster)} is not ${JSON.stringify(cluster)}`]);
    await deps.store.writeSpec(cluster, next);
    return result(`spec of ${cluster} replaced; the next tick acts on it`, { spec: next });
  }
  const spec = await deps.store.readSpec(cluster);
  switch (action.action) {
    case 'status': {
      const observed = await dryRun(deps, cluster, 'status');
      const view = statusView(spec, observed);
      return result(`${view.voters.synced}/${view.voters.count} voters synced, ${view.observers.count} observers; ${view.step}`, { ...view });
    }
    case 'plan': {
      const observed = await dryRun(deps, cluster, 'plan');
      return result(`next step: ${observed.step?.kind ?? 'none'}: ${observed.why}`, { step: summarizeStep(observed), why: observed.why, reports: observed.reports });
    }
    case 'scale': {
      if (action.voters === undefined && action.observers === undefined) throw new InvalidInputError('scale', ['voters: give voters and/or observers']);
      const next = parseOrThrow(
        ClusterSpecSchema,
        {
          ...spec,
          voters: { ...spec.voters, ...(action.voters !== undefined ? { desired: action.voters } : {}) },
          observers: { ...spec.observers, ...(action.observers !== undefined ? { desired: action.observers } : {}) },
        },
        'scaled spec',
      );
      await deps.store.writeSpec(cluster, next);
      return result(
        `spec of ${cluster}: voters ${spec.voters.desired} -> ${next.voters.desired}, observers ${spec.observers.desired} -> ${next.observers.desired}; the next tick acts on it`,
        { voters: next.voters.desired, observers: next.observers.desired },
      );
    }
    case 'pause':
    case 'resume': {
      const paused = action.action === 'pause';
      await deps.store.writeSpec(cluster, { ...spec, paused });
      return result(paused ? `${cluster} paused: ticks observe and report, and change nothing` : `${cluster} resumed`, { paused });
    }
    case 'replace':
    case 'report': {
      await knownMember(deps, cluster, action.serverId);
      const reason = action.action === 'report' ? action.reason : 'an operator asked for a replacement';
      await deps.store.addRequest(cluster, { id: `${action.action}-${action.serverId}-${now}`, kind: action.action, serverId: action.serverId, reason, at: now });
      return result(
        action.action === 'replace'
          ? `replacement of server ${action.serverId} requested; the next tick starts it`
          : `server ${action.serverId} reported (${reason}); probes must corroborate it before anything is replaced`,
        { serverId: action.serverId, reason },
      );
    }
    case 'forget':
      return result(await forget(deps, cluster, action.serverId, now), { forgot: action.serverId });
    case 'connect-string': {
      const strings = await deps.store.readConnectString(cluster);
      if (!strings) throw new NotFoundError(`a published connect string for ${cluster} (no tick has run yet)`, { cluster });
      return result(`${strings.clients}\nread-mostly: ${strings.readMostly}`, { ...strings, strategy: spec.strategies.connectString });
    }
    case 'spec-show':
      return result(JSON.stringify(spec, null, 2), { spec });
    case 'create': {
      if (await deps.store.readState(cluster)) throw new InvalidInputError(`create ${cluster}`, [`cluster: ${cluster} was created before (its controller state exists)`]);
      await deps.store.addRequest(cluster, { id: `create-${now}`, kind: 'create', reason: 'an operator asked to create it', at: now });
      const voters = spec.voters.desired;
      return result(`creation of ${cluster} requested: the next tick launches its ${voters} voters; status shows them joining`, { voters });
    }
  }
}

function dryRun(deps: Deps, cluster: string, command: string): Promise<TickResult> {
  return tickCluster(deps, cluster, { kind: 'manual', command }, { dryRun: true });
}

/** A request must name a server the cluster knows: a member of its config, or (when the config
 * cannot be read) one the fleet runs. */
async function knownMember(deps: Deps, cluster: string, serverId: number): Promise<void> {
  const observed = await dryRun(deps, cluster, 'check');
  const config = observed.observation?.config.readable ? observed.observation.config.config : undefined;
  const running = observed.observation?.instances.some((i) => i.serverId === serverId && i.state !== 'terminated');
  if (!config?.members.some((m) => m.serverId === serverId) && !(config === undefined && running)) {
    throw new NotFoundError(`server ${serverId} in cluster ${cluster}`, { serverId, members: config?.members.map((m) => m.serverId).join(',') ?? 'unknown' });
  }
}

/** Records that the next tick should drop what the state remembers of a server that is gone
 * (evidence, reports, replace requests): only the tick writes the state, under its lease. */
async function forget(deps: Deps, cluster: string, serverId: number, now: number): Promise<string> {
  const observed = await dryRun(deps, cluster, 'forget');
  const config = observed.observation?.config.readable ? observed.observation.config.config : undefined;
  if (!config) throw new InvalidInputError('forget', [`serverId: the config of ${cluster} cannot be read now (${observed.why}), so server ${serverId} cannot be told from a member; try again when it reads`]);
  if (config.members.some((m) => m.serverId === serverId)) {
    throw new InvalidInputError('forget', [`serverId: ${serverId} is a member of the config; use replace or scale to take it out`]);
  }
  const state = (await deps.store.readState(cluster))?.state;
  const known = state && (state.health.some((h) => h.serverId === serverId) || state.reports.some((r) => r.serverId === serverId) || state.replaceRequests.includes(serverId) || state.operation?.serverId === serverId);
  if (!state || !known) throw new NotFoundError(`server ${serverId} in the state of cluster ${cluster}`, { serverId });
  if (state.operation?.serverId === serverId) {
    throw new InvalidInputError('forget', [`serverId: ${serverId} is the subject of operation ${state.operation.id}; it finishes or rolls back by itself`]);
  }
  await deps.store.addRequest(cluster, { id: `forget-${serverId}-${now}`, kind: 'forget', serverId, reason: 'an operator asked to forget it', at: now });
  return `server ${serverId} will be forgotten by the next tick`;
}

/** A step as JSON: config versions (bigint) in hex. */
export function summarizeStep(result: TickResult): unknown {
  return result.step ? JSON.parse(JSON.stringify(result.step, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString(16) : value))) : undefined;
}
