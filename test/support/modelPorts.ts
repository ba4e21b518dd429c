import { jsonLog, MemoryMetrics } from '../../lib/adapters/local/index.js';
import type { ClusterPorts, Deps } from '../../lib/controller/index.js';
import type { MemberProbe } from '../../lib/core/index.js';
import type { EnsembleSession, StateStore } from '../../lib/ports/index.js';
import { fleetDouble, testSuperUser } from './doubles.js';
import type { ModelEnsemble } from './modelEnsemble.js';

/** The controller's ports over a model ensemble: for unit tests of the tick without processes. */
export function modelPorts(model: ModelEnsemble, onAct: (what: string) => void = () => undefined): ClusterPorts {
  const session: EnsembleSession = {
    readConfig: async () => model.config,
    reconfig: async (change) => {
      onAct('reconfig');
      model.apply({ kind: 'reconfig', change, why: '' });
      return { outcome: 'committed', config: model.config, via: 'reply' };
    },
    confirmWrite: async () => undefined,
    reconfigAccess: async () => 'authorised',
    close: async () => undefined,
  };
  return {
    fleet: fleetDouble({
      list: async () => model.observe().instances.slice(),
      launch: async (r) => {
        onAct('launch');
        model.apply({ kind: 'launch', serverId: r.serverId, role: r.role, zone: r.zone, operationId: r.operationId, why: '' });
        return model.observe().instances.find((i) => i.serverId === r.serverId) as ReturnType<ModelEnsemble['observe']>['instances'][number];
      },
      terminate: async (serverId) => {
        onAct('terminate');
        model.apply({ kind: 'terminate', serverId, why: '' });
      },
      bootLog: async (serverId) => (model.servers.has(serverId) ? `model server ${serverId}: booted at tick ${model.servers.get(serverId)?.launchedAtTick}` : undefined),
    }),
    probe: {
      probe: async (targets) => model.observe().probes.filter((p: MemberProbe) => targets.some((t) => t.serverId === p.serverId)),
      sessions: async () => {
        const sessions = model.observe().sessions;
        if (!sessions?.readable) throw new Error(`model: no leader lists sessions (${sessions?.reason ?? 'unread'})`);
        return [...sessions.sessionIds];
      },
    },
    ensemble: { open: async () => session },
    superUser: testSuperUser(),
  };
}

/** Controller dependencies over a store and model ensembles, one per cluster. */
export function modelDeps(store: StateStore, models: ReadonlyMap<string, ModelEnsemble>, onAct?: (cluster: string, what: string) => void): Deps {
  return {
    store,
    metrics: new MemoryMetrics(jsonLog(() => undefined)),
    load: new MemoryMetrics(jsonLog(() => undefined)),
    log: jsonLog(() => undefined),
    holder: 'test',
    leaseTtlMs: 300_000,
    clock: () => Date.now(),
    portsFor: async (cluster) => modelPorts(models.get(cluster) as ModelEnsemble, (what) => onAct?.(cluster, what)),
  };
}
