import type { Ensemble, EnsembleSession, Probe } from '../ports/index.js';
import { ZooKeeperEnsembleAdmin } from './ensembleAdmin.js';
import { probeMembers, type ProbeOptions } from './probe.js';

// The Probe and Ensemble ports on real ZooKeeper, the same for AWS and local mode.

export function zooKeeperProbe(options: ProbeOptions): Probe {
  return { probe: (targets) => probeMembers(targets, options) };
}

export function zooKeeperEnsemble(options: { superPassword: string; timeoutMs: number }): Ensemble {
  return {
    open: (connectString): Promise<EnsembleSession> => ZooKeeperEnsembleAdmin.open({ connectString, ...options }),
  };
}
