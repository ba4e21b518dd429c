import type { Deps } from '../../lib/controller/index.js';
import type { ServerId } from '../../lib/core/index.js';
import type { BootLayout, Fleet, SuperUser } from '../../lib/ports/index.js';
import { superUserOf } from '../../lib/wiring/local.js';
import { TEST_PASSWORD } from './ensemble.js';

// Test doubles of the small ports, for tests that need only part of one: whatever a test does not
// give fails loudly when called, so a test never passes on a call it did not expect.

/** A Fleet of the given methods; the rest refuse ("not expected"), the read-only ones find nothing. */
export function fleetDouble(parts: Partial<Fleet>): Fleet {
  const unexpected = (what: string) => async (): Promise<never> => {
    throw new Error(`fleet.${what}: not expected in this test`);
  };
  return {
    list: async () => [],
    layout: (serverId: ServerId): BootLayout => ({ host: '0.0.0.0', configDir: `/double/${serverId}`, dataDir: `/double/${serverId}/data` }),
    reserveAddresses: unexpected('reserveAddresses'),
    launch: unexpected('launch'),
    terminate: unexpected('terminate'),
    bootLog: async () => undefined,
    findByAddress: async () => new Map(),
    adopt: unexpected('adopt'),
    ...parts,
  };
}

/** `fleet` with some of its methods replaced; the others call through to it. */
export function fleetWith(fleet: Fleet, parts: Partial<Fleet>): Fleet {
  return {
    list: () => fleet.list(),
    layout: (serverId) => fleet.layout(serverId),
    reserveAddresses: (servers, zones) => fleet.reserveAddresses(servers, zones),
    launch: (request) => fleet.launch(request),
    terminate: (serverId) => fleet.terminate(serverId),
    bootLog: (serverId) => fleet.bootLog(serverId),
    findByAddress: (hosts, zones) => fleet.findByAddress(hosts, zones),
    adopt: (servers) => fleet.adopt(servers),
    ...parts,
  };
}

/** `deps` whose fleet launches server 1 and fails every other launch: what a creation whose process
 * died after its first launch leaves behind. */
export function killedAfterFirstLaunch<D extends Deps>(deps: D): D {
  return {
    ...deps,
    async portsFor(cluster, spec) {
      const ports = await deps.portsFor(cluster, spec);
      const launch: Fleet['launch'] = async (request) => {
        if (request.serverId !== 1) throw new Error('the creating process was killed');
        return ports.fleet.launch(request);
      };
      return { ...ports, fleet: fleetWith(ports.fleet, { launch }) };
    },
  };
}

/** The super user of the test ensembles (test/support/ensemble.ts boots them with its digest). */
export const testSuperUser = (cluster = 'orders'): SuperUser => superUserOf({ read: async () => TEST_PASSWORD }, cluster);
