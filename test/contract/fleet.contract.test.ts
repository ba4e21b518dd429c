import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { findJava, findZooKeeper, LocalFleet, ProcessFleet } from '../../lib/adapters/local/index.js';
import { freeAddressPrefix } from '../support/addresses.js';
import { trackDir } from '../support/ensemble.js';
import { fleetContract } from './fleetContract.js';

fleetContract('local processes', async () => {
  const dir = mkdtempSync(join(inject('testRoot'), 'fleet-'));
  trackDir(dir);
  const processes = new ProcessFleet({ clusterDir: dir, addressPrefix: await freeAddressPrefix(2181), clientPort: 2181, heapMb: 64, java: findJava(), install: findZooKeeper(), startTimeoutMs: 20_000 });
  return new LocalFleet(processes, 'orders');
});
