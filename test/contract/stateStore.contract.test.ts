import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SsmStateStore } from '../../lib/adapters/aws/ssmStateStore.js';
import { FileStateStore } from '../../lib/adapters/local/index.js';
import { FakeSsm } from '../support/fakeSsm.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';
import { stateStoreContract } from './stateStoreContract.js';

stateStoreContract('files (local mode)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'zka-store-'));
  const store = new FileStateStore(home);
  return {
    store,
    async plantSpec(cluster, text) {
      mkdirSync(store.clusterDir(cluster), { recursive: true });
      writeFileSync(join(store.clusterDir(cluster), 'spec.json'), text);
    },
  };
});

stateStoreContract('in-memory fake', async () => {
  const store = new MemoryStateStore();
  return { store, plantSpec: async (cluster, text) => store.plantSpec(cluster, text) };
});

stateStoreContract('SSM Parameter Store (SDK mock with SSM semantics)', async () => {
  const ssm = new FakeSsm();
  ssm.set('/zk-autoscaler/orders/super-password', 'secret-from-ssm-of-24-chars', 'SecureString');
  const store = new SsmStateStore(ssm.client, '/zk-autoscaler', { attempts: 5, baseDelayMs: 1, sleep: async () => undefined });
  return { store, plantSpec: async (cluster, text) => ssm.set(`/zk-autoscaler/${cluster}/spec`, text) };
});
