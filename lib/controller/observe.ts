import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import type { ConfigObservation, Instance, Observation, ServerId } from '../core/index.js';
import { toControllerError } from '../errors.js';
import type { EnsembleSession, Log, MetricsSource, StateStore } from '../ports/index.js';
import type { ClusterPorts } from './tick.js';

// Observe: list the fleet, read the committed config through any running server, probe every
// member and instance in parallel, read the load window and new operator requests.

export interface Observed {
  readonly observation: Observation;
  /** The state with the new operator requests' time mark. */
  readonly state: ControllerState;
  /** The admin session the config was read through, kept open for this tick's step. */
  readonly session: EnsembleSession | undefined;
}

interface ObserveInputs {
  readonly spec: ClusterSpec;
  readonly state: ControllerState;
  readonly ports: ClusterPorts;
  readonly store: StateStore;
  readonly load: MetricsSource;
  readonly now: number;
  readonly log: Log;
}

export async function observe(x: ObserveInputs): Promise<Observed> {
  const instances = await x.ports.fleet.list();
  const { config, session } = await readConfig(x, instances);
  const targets = new Map<ServerId, string>();
  if (config.readable) for (const m of config.config.members) targets.set(m.serverId, m.clientHost);
  for (const i of instances) if (i.state !== 'terminated' && !targets.has(i.serverId)) targets.set(i.serverId, i.host);
  const [probes, load, requests] = await Promise.all([
    x.ports.probe.probe([...targets].map(([serverId, host]) => ({ serverId, host }))),
    hasLoadTargets(x.spec) ? x.load.loadWindow(x.spec.cluster, [...targets.keys()], x.spec.load.windowSeconds, x.now) : Promise.resolve(undefined),
    x.store.readRequests(x.spec.cluster),
  ]);
  const fresh = requests.filter((r) => r.at > x.state.requestsSeenUpTo);
  const seenUpTo = Math.max(x.state.requestsSeenUpTo, ...fresh.map((r) => r.at));
  return {
    observation: {
      config,
      probes,
      instances,
      load,
      requests: {
        reports: fresh.filter((r) => r.kind === 'report').map((r) => ({ serverId: r.serverId, reason: r.reason, at: r.at })),
        replace: fresh.filter((r) => r.kind === 'replace').map((r) => r.serverId),
      },
    },
    state: seenUpTo === x.state.requestsSeenUpTo ? x.state : { ...x.state, requestsSeenUpTo: seenUpTo },
    session,
  };
}

async function readConfig(x: ObserveInputs, instances: readonly Instance[]): Promise<{ config: ConfigObservation; session: EnsembleSession | undefined }> {
  const running = instances.filter((i) => i.state === 'running');
  if (running.length === 0) return { config: { readable: false, reason: 'no running server to read the config from' }, session: undefined };
  const connectString = running.map((i) => `${i.host}:${x.spec.zookeeper.clientPort}`).join(',');
  let session: EnsembleSession | undefined;
  try {
    session = await x.ports.ensemble.open(connectString);
    return { config: { readable: true, config: await session.readConfig() }, session };
  } catch (err) {
    const error = toControllerError(err);
    x.log.warn('config unreadable', { error, connectString });
    await session?.close().catch(() => undefined); // the read already failed; its error is the one reported
    return { config: { readable: false, reason: error.message }, session: undefined };
  }
}

function hasLoadTargets(spec: ClusterSpec): boolean {
  return Object.values(spec.load.targets).some((v) => v !== undefined);
}
