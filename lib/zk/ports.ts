import { InvalidInputError } from '../errors.js';
import type { Ensemble, EnsembleSession, Probe, SuperPassword } from '../ports/index.js';
import { DUMP_SESSIONS_END, parseLeaderSessions } from './dump.js';
import { ZooKeeperEnsembleAdmin } from './ensembleAdmin.js';
import { sendFourLetterWord } from './fourLetterWord.js';
import { probeMembers, type ProbeOptions } from './probe.js';

// The Probe and Ensemble ports on real ZooKeeper, the same for AWS and local mode.

export function zooKeeperProbe(options: ProbeOptions): Probe {
  return {
    probe: (targets) => probeMembers(targets, options),
    // Over the client port whatever `via` says: the AdminServer may be off, `dump` is whitelisted.
    sessions: async (leader) =>
      parseLeaderSessions(await sendFourLetterWord(leader.host, options.clientPort, 'dump', options.timeoutMs, DUMP_SESSIONS_END), `dump from server ${leader.serverId} at ${leader.host}`),
  };
}

/** Admin sessions to one server each: the library re-sends credentials to whichever server of a
 * list it reconnects to, and they must reach only the member the controller chose. */
export function zooKeeperEnsemble(options: { superPassword: SuperPassword; timeoutMs: number }): Ensemble {
  return {
    open: async (server): Promise<EnsembleSession> => {
      if (!/^[^,\s]+:\d+$/.test(server)) throw new InvalidInputError('admin session', [`server: expected one host:port (got ${JSON.stringify(server)})`]);
      return ZooKeeperEnsembleAdmin.open({ connectString: server, ...options });
    },
  };
}
