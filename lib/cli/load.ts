import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileStateStore } from '../adapters/local/index.js';
import { LoadOptionsSchema, parseOrThrow } from '../config/index.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { NodeExistsError, ZooKeeperSession } from '../zk/index.js';
import { parseCommandLine } from './args.js';
import type { Io } from './commands.js';

// `load`: a real ZooKeeper client workload for demos and tests: C sessions doing reads (getData)
// and writes (setData) at a total rate R, for S seconds, on loopback only. It always stops by itself.

const ROOT = '/zk-autoscaler-load';

export async function runLoad(argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = parseCommandLine(argv, ['home', 'cluster', 'rate', 'reads-pct', 'seconds', 'clients', 'connect'], ['json']);
  if (positionals.length > 0) throw new InvalidInputError('command line', [`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const o = parseOrThrow(LoadOptionsSchema, options, 'load options');
  const connect = o.connect ?? (await new FileStateStore(resolve(o.home)).readConnectString(o.cluster))?.clients;
  if (!connect) throw new NotFoundError(`a connect string for ${o.cluster} (give --connect, or start the cluster)`, { cluster: o.cluster });
  if (!connect.split(',').every((hostPort) => /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):\d+$/.test(hostPort))) {
    throw new InvalidInputError('load options', [`connect: the load generator only targets loopback addresses (got ${JSON.stringify(connect)})`]);
  }
  const sessions = await Promise.all(Array.from({ length: o.clients }, () => ZooKeeperSession.open({ connectString: connect, timeoutMs: 5000 })));
  const counts = { reads: 0, writes: 0, errors: {} as Record<string, number> };
  try {
    const first = sessions[0] as ZooKeeperSession;
    await first.create(ROOT, Buffer.from('load')).catch((err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err;
    });
    const deadline = Date.now() + o.seconds * 1000;
    const intervalMs = (1000 * o.clients) / o.rate;
    await Promise.all(
      sessions.map(async (session, client) => {
        let next = Date.now() + (intervalMs * client) / o.clients;
        for (let n = 0; Date.now() < deadline; n++) {
          const read = (n * 100 + client * 37) % 100 < o.readsPct;
          try {
            if (read) await session.getData(ROOT);
            else await session.setData(ROOT, Buffer.from(String(n)));
            if (read) counts.reads++;
            else counts.writes++;
          } catch (err) {
            const name = err instanceof Error ? err.name : 'unknown';
            counts.errors[name] = (counts.errors[name] ?? 0) + 1;
          }
          next += intervalMs;
          const wait = next - Date.now();
          if (wait > 0) await sleep(wait);
        }
      }),
    );
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
  const total = counts.reads + counts.writes;
  const summary = { connect, seconds: o.seconds, reads: counts.reads, writes: counts.writes, achievedRate: Math.round(total / o.seconds), errors: counts.errors };
  io.out(o.json ? JSON.stringify(summary) : `${total} operations in ${o.seconds} s (${summary.achievedRate}/s): ${counts.reads} reads, ${counts.writes} writes, errors ${JSON.stringify(counts.errors)}`);
  return 0;
}
