import { appendFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLog, processFleetFor, resumeLocalCluster, stopLocalCluster } from '../adapters/local/index.js';
import { ClusterSpecSchema, parseOrThrow, StartOptionsSchema, type ClusterSpec } from '../config/index.js';
import { connectString as renderConnectString } from '../core/index.js';
import { statusView, tickCluster } from '../controller/index.js';
import { FOLLOW_UP } from '../controller/triggers.js';
import { InvalidInputError } from '../errors.js';
import { buildLocalDeps } from '../wiring/index.js';
import { parseCommandLine } from './args.js';
import { CONTROLLER_LOG, type Io } from './commands.js';
import { createLocalCluster } from './create.js';
import { renderStatus } from './status.js';

// `npm start`: local mode. Creates the cluster on first run (3 voters on loopback), resumes it after,
// runs the controller's tick every few seconds and shows a live status; Ctrl-C stops the controller
// and then every server, and the next start resumes the same cluster from its state.

export async function start(argv: readonly string[], io: Io & { tty: boolean }): Promise<number> {
  const { options: raw, positionals } = parseCommandLine(argv, ['home', 'cluster', 'address-prefix', 'voters', 'interval'], ['json']);
  if (positionals.length > 0) throw new InvalidInputError('npm start options', [`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const options = parseOrThrow(StartOptionsSchema, raw, 'npm start options');
  const home = resolve(options.home);
  const log = jsonLog((line) => appendFileSync(CONTROLLER_LOG(home), line), 'info');
  // The store refuses a home it could not render safely, before anything is created there.
  const deps = buildLocalDeps({ home, log, holder: `npm-start:${process.pid}` });
  mkdirSync(home, { recursive: true });
  const cluster = options.cluster;

  let spec: ClusterSpec;
  if ((await deps.store.listClusters()).includes(cluster)) {
    spec = await deps.store.readSpec(cluster);
    const restarted = await resumeLocalCluster(deps.store, spec, log);
    io.out(`zk-autoscaler local mode: resuming cluster "${cluster}" from ${deps.store.clusterDir(cluster)}${restarted.length ? ` (restarted servers ${restarted.join(', ')})` : ''}`);
  } else {
    spec = parseOrThrow(
      ClusterSpecSchema,
      { cluster, voters: { min: Math.min(3, options.voters), desired: options.voters, max: 7 }, zookeeper: { heapMb: 256, preAllocSizeKb: 4096 } },
      'local cluster spec',
    );
    io.out(`zk-autoscaler local mode: creating cluster "${cluster}" (${options.voters} voters on ${options.addressPrefix}.x) in ${deps.store.clusterDir(cluster)}`);
    await createLocalCluster(deps, spec, { addressPrefix: options.addressPrefix });
  }
  io.out(`controller log (JSON lines): ${CONTROLLER_LOG(home)}`);

  let stopping = false;
  const stopped = new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      io.out(`\n${signal}: stopping the controller, then every server...`);
      resolveStop();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

  let shown = '';
  let first = true;
  while (!stopping) {
    // Servers running as the tick starts: one that dies during the tick or after wakes the next.
    const watched = processFleetFor(deps.store, cluster, spec).livePids();
    const result = await tickCluster(deps, cluster, { kind: 'schedule' });
    spec = await deps.store.readSpec(cluster).catch(() => spec);
    const status = statusView(spec, result);
    const view = renderStatus(status);
    // Without a terminal, print only what changed in substance (not every latency wobble).
    const substance = JSON.stringify([status.members.map((m) => [m.serverId, m.role, m.mode, m.health]), status.operation, status.decision, status.step]);
    if (first && result.observation?.config.readable) {
      io.out(result.observation.config.config.members.map((m) => `  server ${m.serverId}  ${m.clientHost}:${m.clientPort}  ${m.role}`).join('\n'));
      io.out(`connect string: ${renderConnectString(result.observation.config.config.members)}`);
      io.out('Ctrl-C stops the controller and every server.');
      first = false;
    }
    if (io.tty) io.out(`\x1b[2J\x1b[H${new Date().toISOString()}  (Ctrl-C stops)\n${view}`);
    else if (substance !== shown) io.out(`--- ${new Date().toISOString()} ${result.outcome}\n${view}`);
    shown = substance;
    // A server that dies wakes the controller at once (EC2 would send a state-change event). A tick
    // that found something under way (an election after a leader died, a joiner syncing) looks again
    // within FOLLOW_UP.everyMs, as the queue's follow-ups do on AWS, whatever the interval.
    const waiting = new AbortController();
    const pauseMs = result.outcome === 'steady' ? options.interval * 1000 : Math.min(options.interval * 1000, FOLLOW_UP.everyMs);
    await Promise.race([sleep(pauseMs), stopped, processFleetFor(deps.store, cluster, spec).anyExit(watched, waiting.signal)]);
    waiting.abort();
  }
  await stopLocalCluster(deps.store, spec);
  io.out('all servers stopped');
  return 0;
}
