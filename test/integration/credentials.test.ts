import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { jsonLog, MemoryMetrics } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { tickCluster, type Deps } from '../../lib/controller/index.js';
import { voterIds, type Instance, type ServerId } from '../../lib/core/index.js';
import type { Fleet } from '../../lib/ports/index.js';
import { sendFourLetterWord, zooKeeperEnsemble, zooKeeperProbe } from '../../lib/zk/index.js';
import { startEnsemble, TEST_PASSWORD } from '../support/ensemble.js';
import { fleetDouble, testSuperUser } from '../support/doubles.js';
import { MemoryStateStore } from '../support/memoryStateStore.js';

// The super user's password overrides every ACL of an ensemble: it must reach only a member of the
// committed config whose identity its probe checked, and only with a reconfig. Here a stray tagged
// for the cluster listens on 2181, and an imposter took a member's address and answers every
// four-letter word as a real server would, under another id; the controller stops the stray and
// removes the unreachable member by reconfig, and neither fake ever sees the password.

interface Fake {
  readonly received: () => string;
  close(): void;
}

/** A TCP server on `host`:2181 that records every byte, and answers four-letter words from `answers`. */
async function fake(host: string, port: number, answers: Record<string, string> = {}): Promise<Fake> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      const answer = answers[data.toString('latin1').slice(0, 4)];
      if (answer !== undefined) socket.end(answer);
    });
    socket.on('error', () => undefined); // the prober hangs up when it has its answer
  });
  // The killed JVM's listening socket may outlive its kill by a moment: bind again until it is gone.
  for (let attempt = 1; ; attempt++) {
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && attempt < 50 ? resolve(false) : reject(err)));
      server.listen(port, host, () => resolve(true));
    });
    if (bound) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    received: () => Buffer.concat(chunks).toString('latin1'),
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('who gets the super password', () => {
  it('never a stray tagged for the cluster, nor a server answering at a member\'s address under another id: only the member a reconfig goes through', async () => {
    const ensemble = await startEnsemble({ voters: 3 });
    const { clientPort } = ensemble.settings;
    const fakes: Fake[] = [];
    try {
      await ensemble.waitForQuorum();
      // The imposter replays a real server's answers, claiming id 7, at member 3's address.
      const word = (w: 'srvr' | 'mntr' | 'conf'): Promise<string> => sendFourLetterWord(ensemble.hostOf(1), clientPort, w, 2000);
      const answers = { srvr: await word('srvr'), mntr: await word('mntr'), conf: (await word('conf')).replace(/^serverId=\d+$/m, 'serverId=7') };
      await ensemble.kill(3);
      const imposter = await fake(ensemble.hostOf(3), clientPort, answers);
      const stray = await fake(ensemble.hostOf(9), clientPort);
      fakes.push(imposter, stray);

      const spec = ClusterSpecSchema.parse({ cluster: 'orders', voters: { min: 1, desired: 1, max: 3 }, zones: [{ name: 'a' }], detection: { failAfterSeconds: 0 } });
      const store = new MemoryStateStore();
      await store.writeSpec('orders', spec);
      const terminated: ServerId[] = [];
      const instance = (serverId: ServerId): Instance => ({ serverId, instanceId: `i-${serverId}`, host: ensemble.hostOf(serverId), state: 'running', zone: 'a' });
      const fleet: Fleet = fleetDouble({
        list: async () => [1, 2, 3, 9].filter((id) => !terminated.includes(id)).map(instance),
        terminate: async (serverId) => void terminated.push(serverId),
      });
      const log = jsonLog(() => undefined);
      const deps: Deps = {
        store,
        metrics: new MemoryMetrics(log),
        load: new MemoryMetrics(log),
        log,
        holder: 'test',
        leaseTtlMs: 120_000,
        clock: () => Date.now(),
        portsFor: async () => ({
          fleet,
          probe: zooKeeperProbe({ timeoutMs: 800, via: 'four-letter-words', clientPort, adminPort: ensemble.settings.adminPort }),
          ensemble: zooKeeperEnsemble({ superPassword: async () => TEST_PASSWORD, timeoutMs: 5000 }),
          superUser: testSuperUser(),
        }),
      };
      const voters = async (): Promise<Set<ServerId>> => {
        const admin = await ensemble.admin([1]);
        try {
          return voterIds((await admin.readConfig()).members);
        } finally {
          await admin.close();
        }
      };
      const steps: string[] = [];
      for (let i = 0; i < 10 && (await voters()).has(3); i++) {
        const result = await tickCluster(deps, 'orders', { kind: 'schedule' });
        steps.push(`${result.step?.kind ?? result.outcome}: ${result.why}`);
      }
      expect((await voters()).has(3), steps.join('\n')).toBe(false);
      expect(terminated).toContain(9);
      expect(steps.some((s) => s.startsWith('reconfig'))).toBe(true);
      for (const f of fakes) {
        expect(f.received()).not.toContain(TEST_PASSWORD);
        expect(f.received()).not.toContain('super:');
      }
      expect(imposter.received()).toMatch(/srvr/); // it was probed, and judged by what it said
    } finally {
      for (const f of fakes) f.close();
      await ensemble.stop();
    }
  }, 60_000);
});
