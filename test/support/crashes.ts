import type { Deps } from '../../lib/controller/index.js';
import type { Ensemble, EnsembleSession, Fleet } from '../../lib/ports/index.js';
import { fleetWith } from './doubles.js';

// Kills a tick at one step boundary: the first matching call to the fleet or the ensemble dies
// just before or just after it did its work, as a controller killed there would.

export type CrashCall = 'launch' | 'reconfig' | 'terminate';
export type CrashWhen = 'before' | 'after';

export class InjectedCrash extends Error {
  constructor(call: CrashCall, when: CrashWhen) {
    super(`tick killed ${when} ${call}`);
    this.name = 'InjectedCrash';
  }
}

export function crashingOnce<D extends Deps>(deps: D, call: CrashCall, when: CrashWhen): D & { crashed: () => boolean } {
  let crashed = false;
  const wrap = async <T>(name: CrashCall, work: () => Promise<T>): Promise<T> => {
    if (crashed || name !== call) return work();
    crashed = true;
    if (when === 'before') throw new InjectedCrash(call, when);
    await work();
    throw new InjectedCrash(call, when);
  };
  const fleet = (f: Fleet): Fleet =>
    fleetWith(f, {
      launch: (request) => wrap('launch', () => f.launch(request)),
      terminate: (id) => wrap('terminate', () => f.terminate(id)),
    });
  const session = (s: EnsembleSession): EnsembleSession => ({
    readConfig: () => s.readConfig(),
    reconfigAccess: () => s.reconfigAccess(),
    reconfig: (change, from) => wrap('reconfig', () => s.reconfig(change, from)),
    confirmWrite: () => s.confirmWrite(),
    close: () => s.close(),
  });
  const ensemble = (e: Ensemble): Ensemble => ({ open: async (connect) => session(await e.open(connect)) });
  return {
    ...deps,
    crashed: () => crashed,
    async portsFor(cluster, spec) {
      const ports = await deps.portsFor(cluster, spec);
      return { ...ports, fleet: fleet(ports.fleet), ensemble: ensemble(ports.ensemble) };
    },
  };
}
