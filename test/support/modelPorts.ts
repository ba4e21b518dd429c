import type { ClusterPorts } from '../../lib/controller/index.js';
import type { MemberProbe } from '../../lib/core/index.js';
import type { EnsembleSession } from '../../lib/ports/index.js';
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
    close: async () => undefined,
  };
  return {
    fleet: {
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
    },
    probe: { probe: async (targets) => model.observe().probes.filter((p: MemberProbe) => targets.some((t) => t.serverId === p.serverId)) },
    ensemble: { open: async () => session },
  };
}
