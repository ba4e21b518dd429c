// `npm start`: local mode. Starts (or adopts) a ZooKeeper ensemble of real JVMs on loopback, prints
// its members and connect string, and on Ctrl-C stops every server. A later issue runs the
// controller's tick here; until then this is the ensemble it will manage.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findJava, findZooKeeper, ProcessFleet, type LocalServer } from '../adapters/local/index.js';
import { parseOrThrow, StartOptionsSchema, ZooKeeperSettingsSchema } from '../config/index.js';
import { connectString, memberAt, renderServerFiles, type ConfigMember } from '../core/index.js';
import { ControllerError } from '../errors.js';
import { parseSrvr, sendFourLetterWord, superDigest } from '../zk/index.js';
import { parseOptions } from './args.js';

const START_TIMEOUT_MS = 30_000;
const QUORUM_WAIT_MS = 15_000;

async function main(): Promise<void> {
  const options = parseOrThrow(StartOptionsSchema, parseOptions(process.argv.slice(2), ['home', 'cluster', 'address-prefix', 'voters']), 'npm start options');
  const clusterDir = resolve(options.home, 'clusters', options.cluster);
  mkdirSync(clusterDir, { recursive: true });
  const settings = ZooKeeperSettingsSchema.parse({ heapMb: 256, preAllocSizeKb: 4096 });
  const fleet = new ProcessFleet({
    clusterDir,
    addressPrefix: options.addressPrefix,
    clientPort: settings.clientPort,
    heapMb: settings.heapMb,
    java: findJava(),
    install: findZooKeeper(),
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const password = superPassword(clusterDir);
  const ids = Array.from({ length: options.voters }, (_, i) => i + 1);
  const members: ConfigMember[] = ids.map((id) => memberAt(settings, id, fleet.placementOf(id).host, 'voter'));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ${fleet.list().filter((s) => s.pid !== undefined).length} server(s)...`);
    await fleet.stopAll('graceful');
    console.log('all servers stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const running = new Set(fleet.list().filter((s) => s.pid !== undefined).map((s) => s.serverId));
  const fresh = !existsSync(join(fleet.placementOf(1).dataDir, 'myid'));
  await Promise.all(
    ids
      .filter((id) => !running.has(id))
      .map((id) =>
        fleet.launch(id, (p) =>
          renderServerFiles({
            cluster: options.cluster,
            settings,
            allowEvenVoters: false,
            serverId: id,
            host: p.host,
            configDir: p.configDir,
            dataDir: p.dataDir,
            superDigest: superDigest(password),
            membership: fresh ? { kind: 'initial', members } : { kind: 'rejoin', committed: members },
          }),
        ),
      ),
  );

  console.log(`zk-autoscaler local mode: cluster "${options.cluster}", state in ${clusterDir}`);
  if (running.size > 0) console.log(`adopted ${running.size} server(s) left running by an earlier run`);
  // Servers answer `ruok` before they elect a leader; give the election a moment before showing modes.
  const deadline = Date.now() + QUORUM_WAIT_MS;
  let modes = await modesOf(fleet.list(), settings.clientPort);
  while (modes.some((m) => !SERVING.has(m)) && Date.now() < deadline) {
    await sleep(100);
    modes = await modesOf(fleet.list(), settings.clientPort);
  }
  fleet.list().forEach((server, i) =>
    console.log(`  server ${server.serverId}  ${server.host}:${settings.clientPort}  pid ${server.pid ?? '-'}  ${modes[i]}`),
  );
  console.log(`connect string: ${connectString(members)}`);
  console.log('Ctrl-C stops every server.');
  watch(fleet, new Map(fleet.list().map((s) => [s.serverId, s.pid])));
}

/** Says when a server's process goes away (the controller will heal it once it runs here). */
function watch(fleet: ProcessFleet, pids: Map<number, number | undefined>): void {
  setInterval(() => {
    for (const server of fleet.list()) {
      const before = pids.get(server.serverId);
      if (before !== undefined && server.pid === undefined) console.log(`server ${server.serverId} stopped (pid ${before} is gone)`);
      pids.set(server.serverId, server.pid);
    }
  }, 2000);
}

const SERVING = new Set(['leader', 'follower', 'observer']);

function modesOf(servers: readonly LocalServer[], port: number): Promise<string[]> {
  return Promise.all(
    servers.map((server) =>
      sendFourLetterWord(server.host, port, 'srvr', 2000)
        .then((text) => parseSrvr(text, `srvr from ${server.host}`))
        .then((answer) => (answer.serving ? answer.mode : 'not serving'))
        .catch(() => 'not answering'),
    ),
  );
}

/** The super user's password for this cluster: made once, kept beside its servers, readable by the owner only. */
function superPassword(clusterDir: string): string {
  const path = join(clusterDir, 'super-password');
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(18).toString('base64url'), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return readFileSync(path, 'utf8').trim();
}

main().catch((err: unknown) => {
  console.error(`zk-autoscaler: ${err instanceof ControllerError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
