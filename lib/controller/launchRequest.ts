import type { ClusterSpec } from '../config/spec.js';
import { renderServerFiles, type LaunchRole, type Membership, type ServerId } from '../core/index.js';
import type { LaunchRequest } from '../ports/index.js';
import type { ClusterPorts } from './tick.js';

// A launch as the fleet receives it: the server's boot files rendered here, once, by the core's
// bootstrap for the place the fleet gives them, so that no fleet needs the spec, the password or
// ZooKeeper's file formats.

export interface LaunchOf {
  readonly serverId: ServerId;
  readonly role: LaunchRole;
  readonly zone: string;
  readonly operationId: string;
}

export async function launchRequest(spec: ClusterSpec, ports: Pick<ClusterPorts, 'fleet' | 'superUser'>, launch: LaunchOf, membership: Membership, reservation?: LaunchRequest['reservation']): Promise<LaunchRequest> {
  const layout = ports.fleet.layout(launch.serverId);
  const files = renderServerFiles({
    cluster: spec.cluster,
    settings: spec.zookeeper,
    allowEvenVoters: spec.voters.allowEven,
    serverId: launch.serverId,
    host: reservation?.addresses.get(launch.serverId) ?? layout.host,
    configDir: layout.configDir,
    dataDir: layout.dataDir,
    superDigest: await ports.superUser.digest(),
    membership,
  });
  return {
    serverId: launch.serverId,
    role: launch.role,
    zone: launch.zone,
    operationId: launch.operationId,
    files,
    zones: spec.zones,
    ...(spec.launchTemplate ? { launchTemplate: spec.launchTemplate } : {}),
    ...(reservation ? { reservation } : {}),
  };
}
