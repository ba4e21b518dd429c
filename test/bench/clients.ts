import { setTimeout as sleep } from 'node:timers/promises';
import { NodeExistsError, ZooKeeperSession } from '../../lib/zk/index.js';

// Clients that read and write at a fixed rate while the ensemble changes: what they suffered is the
// disturbance (failed operations by class, longest time without a successful operation), and every
// write they had acknowledged is looked for afterwards.

export interface ClientReport {
  readonly ok: number;
  readonly failed: Readonly<Record<string, number>>;
  readonly longestGapMs: number;
  readonly acknowledgedWrites: number;
  readonly lostWrites: number;
}

export interface Clients {
  stop(verifyThrough: string): Promise<ClientReport>;
}

export async function startClients(connectString: string, { clients = 2, ratePerSecond = 100 } = {}): Promise<Clients> {
  const root = `/disturbance-${Date.now()}`;
  const sessions = await Promise.all(Array.from({ length: clients }, () => ZooKeeperSession.open({ connectString, timeoutMs: 5000, sessionTimeoutMs: 20_000 })));
  await (sessions[0] as ZooKeeperSession).create(root, Buffer.alloc(0));
  const acknowledged: string[] = [];
  const failed: Record<string, number> = {};
  let ok = 0;
  let lastSuccess = performance.now();
  let longestGap = 0;
  let running = true;
  const intervalMs = (1000 * clients) / ratePerSecond;
  const loops = sessions.map(async (session, client) => {
    for (let n = 0; running; n++) {
      const started = performance.now();
      try {
        if (n % 2 === 0) await session.getData(root);
        else {
          const path = `${root}/${client}-${n}`;
          await session.create(path, Buffer.from('x')).catch((err: unknown) => {
            if (!(err instanceof NodeExistsError)) throw err; // a retry after a lost reply: it was applied
          });
          acknowledged.push(path);
        }
        ok++;
        const now = performance.now();
        longestGap = Math.max(longestGap, now - lastSuccess);
        lastSuccess = now;
      } catch (err) {
        const name = err instanceof Error ? err.name : 'unknown';
        failed[name] = (failed[name] ?? 0) + 1;
      }
      const wait = intervalMs - (performance.now() - started);
      if (wait > 0) await sleep(wait);
    }
  });
  return {
    async stop(verifyThrough) {
      running = false;
      await Promise.all(loops);
      await Promise.all(sessions.map((s) => s.close()));
      const checker = await ZooKeeperSession.open({ connectString: verifyThrough, timeoutMs: 10_000 });
      let lost = 0;
      try {
        await checker.sync(root);
        for (const path of acknowledged) if (!(await checker.exists(path))) lost++;
      } finally {
        await checker.close();
      }
      return { ok, failed, longestGapMs: Math.round(longestGap), acknowledgedWrites: acknowledged.length, lostWrites: lost };
    },
  };
}
