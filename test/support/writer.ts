import { setTimeout as sleep } from 'node:timers/promises';
import { NodeExistsError, ZooKeeperSession } from '../../lib/zk/index.js';
import { waitFor } from './wait.js';

// A client that keeps writing while the ensemble changes, so tests can check that no acknowledged
// write is lost. Bounded in rate and lifetime; loopback only.

export interface WriterReport {
  readonly acknowledged: readonly string[];
  /** Error name -> count (a ConnectionLoss write may or may not have been applied). */
  readonly failures: Readonly<Record<string, number>>;
  /** Longest time between two acknowledged writes, in ms. */
  readonly longestGapMs: number;
}

export interface Writer {
  /**
   * Resolves once `count` more writes are acknowledged than when called: the writer still writes
   * after a change. Tests assert this instead of a total, which depends on the machine's speed.
   */
  acknowledgesMore(count: number, timeoutMs: number): Promise<void>;
  stop(): Promise<WriterReport>;
}

export async function startWriter(connectString: string, { ratePerSecond = 100, maxSeconds = 120 } = {}): Promise<Writer> {
  const session = await ZooKeeperSession.open({ connectString, timeoutMs: 5000 });
  const root = `/writes-${Date.now()}`;
  await session.create(root, Buffer.alloc(0));
  const acknowledged: string[] = [];
  const failures: Record<string, number> = {};
  let longestGapMs = 0;
  let lastAck = performance.now();
  let running = true;
  const deadline = Date.now() + maxSeconds * 1000;
  const loop = (async () => {
    for (let n = 0; running && Date.now() < deadline; n++) {
      const path = `${root}/${n}`;
      try {
        await session.create(path, Buffer.from(String(n)));
        acknowledged.push(path);
        const now = performance.now();
        longestGapMs = Math.max(longestGapMs, now - lastAck);
        lastAck = now;
      } catch (err) {
        const name = err instanceof NodeExistsError ? 'NodeExists' : err instanceof Error ? err.name : 'unknown';
        failures[name] = (failures[name] ?? 0) + 1;
      }
      await sleep(1000 / ratePerSecond);
    }
  })();
  return {
    async acknowledgesMore(count, timeoutMs) {
      const target = acknowledged.length + count;
      await waitFor(`${count} more acknowledged writes (${acknowledged.length} so far)`, () => (acknowledged.length >= target ? true : undefined), { timeoutMs });
    },
    async stop() {
      running = false;
      await loop;
      await session.close();
      return { acknowledged, failures, longestGapMs: Math.round(longestGapMs) };
    },
  };
}

/** The acknowledged paths that a fresh session cannot find. */
export async function missingWrites(connectString: string, paths: readonly string[]): Promise<string[]> {
  const session = await ZooKeeperSession.open({ connectString, timeoutMs: 5000 });
  try {
    const [first] = paths;
    if (first !== undefined) await session.sync(first);
    const missing: string[] = [];
    for (const path of paths) if (!(await session.exists(path))) missing.push(path);
    return missing;
  } finally {
    await session.close();
  }
}
