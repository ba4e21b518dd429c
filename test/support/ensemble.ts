import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { findJava, findZooKeeper, ProcessFleet } from '../../lib/adapters/local/index.js';
import { ZooKeeperSettingsSchema, type ZooKeeperSettings } from '../../lib/config/index.js';
import { memberAt, renderServerFiles, type ConfigMember, type Membership, type ServerId } from '../../lib/core/index.js';
import type { ProbeResult } from '../../lib/core/index.js';
import { parseSrvr, probeServer, sendFourLetterWord, superDigest, ZooKeeperEnsembleAdmin, type SrvrAnswer } from '../../lib/zk/index.js';
import { freeAddressPrefix } from './addresses.js';
import { killAndWait, killProcessesUnder, processesUnder } from './processes.js';
import { waitFor } from './wait.js';

// Real ZooKeeper ensembles for integration tests, built from the same bootstrap and process fleet
// local mode uses. Every ensemble started here is stopped when its test file ends (setup.ts), and
// killed on worker exit; the global teardown kills anything left under the run's directory.

export const TEST_PASSWORD = 'zk-autoscaler-test';

/** Measured on the 2-core machine: 5 JVMs started at once answer `ruok` within ~4 s (see
 * test/integration/ensemble.test.ts); 3x that is our deadline. */
export const START_TIMEOUT_MS = 12_000;

export interface EnsembleOptions {
  readonly voters: number;
  readonly observers?: number;
  readonly settings?: Partial<ZooKeeperSettings>;
  /** Wait until a leader and every member serve (default), or only until each answers `ruok`. */
  readonly waitFor?: 'quorum' | 'ruok';
  /** Edits each rendered zoo.cfg, for tests of servers configured otherwise than we would. */
  readonly editZooCfg?: (zooCfg: string) => string;
}

export interface TestEnsemble {
  readonly dir: string;
  readonly fleet: ProcessFleet;
  readonly settings: ZooKeeperSettings;
  readonly digest: string;
  readonly members: ConfigMember[];
  hostOf(serverId: ServerId): string;
  connectString(serverIds?: readonly ServerId[]): string;
  srvr(serverId: ServerId): Promise<SrvrAnswer>;
  /** srvr + mntr of one server, as the controller's probe sees it. */
  probe(serverId: ServerId): Promise<ProbeResult>;
  /** An admin session (super user) to the given servers, or to the initial members. */
  admin(serverIds?: readonly ServerId[]): Promise<ZooKeeperEnsembleAdmin>;
  /** The id of the one server that says it is leader, if exactly one does. */
  leader(serverIds?: readonly ServerId[]): Promise<ServerId | undefined>;
  waitForQuorum(serverIds?: readonly ServerId[], timeoutMs?: number): Promise<ServerId>;
  /** Renders a new server's files (as a joiner, or as given) and starts it. */
  launch(serverId: ServerId, membership: Membership): Promise<void>;
  kill(serverId: ServerId): Promise<void>;
  /** Live processes started from this ensemble's directory. */
  processes(): number[];
  stop(): Promise<void>;
}

const live = new Set<TestEnsemble>();
/** Directories of local-mode clusters started by tests: every process under them dies with the file. */
const trackedDirs = new Set<string>();

export function trackDir(dir: string): void {
  trackedDirs.add(dir);
}

export async function stopAllEnsembles(): Promise<void> {
  await Promise.all([...live].map((e) => e.stop()));
  await Promise.all([...trackedDirs].map((dir) => killAndWait(dir)));
  trackedDirs.clear();
}

process.on('exit', () => {
  for (const e of live) killProcessesUnder(e.dir);
  for (const dir of trackedDirs) killProcessesUnder(dir);
});

export async function startEnsemble(options: EnsembleOptions): Promise<TestEnsemble> {
  const settings = ZooKeeperSettingsSchema.parse({ heapMb: 128, preAllocSizeKb: 4096, ...options.settings });
  const dir = mkdtempSync(join(inject('testRoot'), 'ensemble-'));
  const addressPrefix = await freeAddressPrefix(settings.clientPort);
  const fleet = new ProcessFleet({
    clusterDir: dir,
    addressPrefix,
    clientPort: settings.clientPort,
    heapMb: settings.heapMb,
    java: findJava(),
    install: findZooKeeper(),
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const digest = superDigest(TEST_PASSWORD);
  const hostOf = (id: ServerId): string => fleet.placementOf(id).host;
  const voters = range(1, options.voters);
  const observers = range(options.voters + 1, options.observers ?? 0);
  const members = [
    ...voters.map((id) => memberAt(settings, id, hostOf(id), 'voter')),
    ...observers.map((id) => memberAt(settings, id, hostOf(id), 'observer')),
  ];

  const srvr = async (id: ServerId): Promise<SrvrAnswer> =>
    parseSrvr(await sendFourLetterWord(hostOf(id), settings.clientPort, 'srvr', 1000), `srvr from server ${id}`);
  const leader = async (ids: readonly ServerId[] = ensemble.members.map((m) => m.serverId)): Promise<ServerId | undefined> => {
    const answers = await Promise.all(ids.map((id) => srvr(id).catch(() => undefined)));
    const leaders = ids.filter((_, i) => answers[i]?.serving && answers[i].mode === 'leader');
    return leaders.length === 1 ? leaders[0] : undefined;
  };

  const ensemble: TestEnsemble = {
    dir,
    fleet,
    settings,
    digest,
    members,
    hostOf,
    connectString: (ids = ensemble.members.map((m) => m.serverId)) =>
      ids.map((id) => `${hostOf(id)}:${settings.clientPort}`).join(','),
    srvr,
    probe: (id) => probeServer(hostOf(id), { timeoutMs: 2000, via: 'four-letter-words', clientPort: settings.clientPort, adminPort: settings.adminPort }),
    admin: (ids) => ZooKeeperEnsembleAdmin.open({ connectString: ensemble.connectString(ids), superPassword: TEST_PASSWORD, timeoutMs: 5000 }),
    leader,
    async waitForQuorum(ids = ensemble.members.map((m) => m.serverId), timeoutMs = START_TIMEOUT_MS) {
      try {
        return await waitFor(
          `a leader among servers ${ids.join(', ')} and all of them serving`,
          async () => {
            const answers = await Promise.all(ids.map((id) => srvr(id)));
            return answers.every((a) => a.serving) ? leader(ids) : undefined;
          },
          { timeoutMs },
        );
      } catch (err) {
        // A quorum that does not form is only explained by what each server said and logged.
        const states = await Promise.all(ids.map((id) => srvr(id).then((a) => `${a.serving ? a.mode : 'not serving'}`, (e: unknown) => String(e))));
        const logs = ids.map((id, i) => `--- server ${id} (${states[i]}):\n${electionLog(fleet.logTail(id, 2000))}`);
        throw new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
      }
    },
    async launch(serverId, membership) {
      await fleet.launch(serverId, (p) => {
        const files = renderServerFiles({
          cluster: 'test',
          settings,
          allowEvenVoters: true,
          serverId,
          host: p.host,
          configDir: p.configDir,
          dataDir: p.dataDir,
          superDigest: digest,
          membership,
        });
        return options.editZooCfg ? { ...files, zooCfg: options.editZooCfg(files.zooCfg) } : files;
      });
    },
    kill: (id) => fleet.stop(id, 'kill'),
    processes: () => processesUnder(dir),
    async stop() {
      live.delete(ensemble);
      await fleet.stopAll('kill');
    },
  };
  live.add(ensemble);
  try {
    await Promise.all(members.map((m) => ensemble.launch(m.serverId, { kind: 'initial', members })));
    if (options.waitFor !== 'ruok') await ensemble.waitForQuorum();
  } catch (err) {
    await ensemble.stop();
    throw err;
  }
  return ensemble;
}

/** A server's log without the lines our own probes cause, which would hide the election. */
function electionLog(log: string): string {
  return log
    .split('\n')
    .filter((line) => !/Processing \w{4} command/.test(line))
    .slice(-40)
    .join('\n');
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
