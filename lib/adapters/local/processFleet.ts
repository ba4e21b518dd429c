import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dynamicConfigPath, zooCfgPath, type ServerFiles } from '../../core/bootstrap.js';
import type { ServerId } from '../../core/model.js';
import { InvalidInputError, ServerStartError } from '../../errors.js';
import { sendFourLetterWord } from '../../zk/fourLetterWord.js';
import type { ZooKeeperInstall } from './zookeeperInstall.js';

// Local mode's fleet: one ZooKeeper JVM per server, each on its own loopback address with the
// cluster's standard ports (as on EC2, one server per host), each with its own directory under the
// cluster's state dir. The processes are found again by their command line, so servers left
// running by an earlier (crashed) run are adopted, not duplicated.

export interface ProcessFleetOptions {
  /** This cluster's directory; every server lives under `<clusterDir>/servers/<id>`. */
  readonly clusterDir: string;
  /** First three octets of the servers' addresses, e.g. `127.0.10`: server 3 runs on 127.0.10.3. */
  readonly addressPrefix: string;
  readonly clientPort: number;
  readonly heapMb: number;
  readonly java: string;
  readonly install: ZooKeeperInstall;
  /** How long a starting server may take to answer `ruok`. */
  readonly startTimeoutMs: number;
}

/** Where a server's files go; the bootstrap renders them for this placement. */
export interface ServerPlacement {
  readonly serverId: ServerId;
  readonly host: string;
  readonly configDir: string;
  readonly dataDir: string;
}

export interface LocalServer extends ServerPlacement {
  /** The JVM's pid, when it runs. */
  readonly pid: number | undefined;
}

export type StopMode =
  /** SIGTERM, then SIGKILL after a grace period. */
  | 'graceful'
  /** SIGKILL at once: how a removed server is stopped (clients fail over faster), and how tests crash one. */
  | 'kill';

const GRACE_MS = 10_000;
/** How often a waiting controller looks for a server that died: a heal starts within this. */
const EXIT_POLL_MS = 100;
const LOG_TAIL_LINES = 40;
const LOG4J_PROPERTIES = [
  'log4j.rootLogger=INFO, CONSOLE',
  'log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender',
  'log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n',
  '',
].join('\n');

/** zoo.cfg holds the super digest: a server's files are its owner's alone, and so is its directory,
 * since ZooKeeper rewrites zoo.cfg after a reconfig with the JVM's umask. */
export function writeServerFiles(placement: ServerPlacement, files: ServerFiles): void {
  mkdirSync(placement.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(placement.configDir, 0o700);
  for (const [path, text] of [
    [zooCfgPath(placement.configDir), files.zooCfg],
    [dynamicConfigPath(placement.configDir), files.dynamicConfig],
    [join(placement.dataDir, 'myid'), files.myid],
  ] as const) {
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600); // an existing file keeps its mode through writeFileSync
  }
}

export class ProcessFleet {
  constructor(private readonly options: ProcessFleetOptions) {
    if (!/^127\.\d{1,3}\.\d{1,3}$/.test(options.addressPrefix)) {
      throw new InvalidInputError('process fleet options', [`addressPrefix: must be "127.<a>.<b>" (got ${JSON.stringify(options.addressPrefix)})`]);
    }
    if (/[\u0000-\u001f\u007f-\u009f\\]/.test(options.clusterDir)) {
      throw new InvalidInputError('process fleet options', [`clusterDir: control characters or backslashes (got ${JSON.stringify(options.clusterDir)})`]);
    }
  }

  placementOf(serverId: ServerId): ServerPlacement {
    const dir = this.serverDir(serverId);
    return { serverId, host: `${this.options.addressPrefix}.${serverId}`, configDir: dir, dataDir: join(dir, 'data') };
  }

  /**
   * Writes the server's files (rendered for its placement) and starts it; resolves once it answers
   * `ruok`. Existing data is kept, so this also restarts a member from re-rendered files.
   */
  async launch(serverId: ServerId, render: (placement: ServerPlacement) => ServerFiles): Promise<LocalServer> {
    const running = this.pidOf(serverId);
    if (running !== undefined) {
      throw new InvalidInputError('launch', [`serverId: server ${serverId} is already running (pid ${running})`]);
    }
    const placement = this.placementOf(serverId);
    mkdirSync(placement.dataDir, { recursive: true, mode: 0o700 });
    writeServerFiles(placement, render(placement));
    return this.start(placement);
  }

  /** Starts a stopped server from the files it has (ZooKeeper rewrote them at its last reconfig). */
  async restart(serverId: ServerId): Promise<LocalServer> {
    const running = this.pidOf(serverId);
    if (running !== undefined) return { ...this.placementOf(serverId), pid: running };
    return this.start(this.placementOf(serverId));
  }

  /** Every server with a directory here, running or not (running ones carry their pid). */
  list(): LocalServer[] {
    const pids = this.runningPids();
    const serversDir = join(this.options.clusterDir, 'servers');
    const ids = existsSync(serversDir)
      ? readdirSync(serversDir).filter((name) => /^\d+$/.test(name)).map(Number)
      : [];
    for (const id of pids.keys()) if (!ids.includes(id)) ids.push(id);
    return ids.sort((a, b) => a - b).map((id) => ({ ...this.placementOf(id), pid: pids.get(id) }));
  }

  /** The JVMs running now, to watch with `anyExit`. */
  livePids(): number[] {
    return [...this.runningPids().values()];
  }

  /** Resolves when one of `pids` is gone (at once if one already is), or when `signal` aborts.
   * Polled: servers a previous run started are not this process's children, so no exit event
   * reaches it. */
  async anyExit(running: readonly number[], signal: AbortSignal, pollMs = EXIT_POLL_MS): Promise<void> {
    while (!signal.aborted) {
      if (running.some((pid) => !isAlive(pid))) return;
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  }

  pidOf(serverId: ServerId): number | undefined {
    return this.runningPids().get(serverId);
  }

  /** Stops the server's JVM and waits until it is gone. A server that is not running is fine. */
  async stop(serverId: ServerId, mode: StopMode): Promise<void> {
    const pid = this.pidOf(serverId);
    if (pid === undefined) return;
    if (mode === 'kill' || !(await signalAndWait(pid, 'SIGTERM', GRACE_MS))) {
      await signalAndWait(pid, 'SIGKILL', GRACE_MS);
    }
  }

  async stopAll(mode: StopMode): Promise<void> {
    await Promise.all([...this.runningPids().keys()].map((id) => this.stop(id, mode)));
  }

  /** Deletes a stopped server's directory: its config, data and log. */
  removeFiles(serverId: ServerId): void {
    const pid = this.pidOf(serverId);
    if (pid !== undefined) {
      throw new InvalidInputError('remove files', [`serverId: server ${serverId} is still running (pid ${pid})`]);
    }
    rmSync(this.serverDir(serverId), { recursive: true, force: true });
  }

  logTail(serverId: ServerId, lines = LOG_TAIL_LINES): string {
    const log = this.logPath(serverId);
    if (!existsSync(log)) return '(no log written)';
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  private async start(placement: ServerPlacement): Promise<LocalServer> {
    const { serverId, host } = placement;
    const logFd = openSync(this.logPath(serverId), 'a');
    let exited: string | undefined;
    try {
      const child = spawn(this.options.java, this.jvmArgs(placement), {
        detached: true, // its own process group: a Ctrl-C in the terminal reaches the controller, which stops servers in order
        stdio: ['ignore', logFd, logFd],
      });
      child.on('error', (err) => (exited = `could not run ${this.options.java}: ${err.message}`));
      child.on('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
      child.unref();
      const deadline = Date.now() + this.options.startTimeoutMs;
      for (;;) {
        if (exited) throw new ServerStartError(serverId, exited, this.logTail(serverId));
        if (await answersRuok(host, this.options.clientPort)) return { ...placement, pid: child.pid };
        if (Date.now() > deadline) {
          if (child.pid !== undefined) await signalAndWait(child.pid, 'SIGKILL', GRACE_MS);
          throw new ServerStartError(serverId, `no "imok" within ${this.options.startTimeoutMs} ms`, this.logTail(serverId));
        }
        await sleep(50);
      }
    } finally {
      closeSync(logFd);
    }
  }

  private jvmArgs(placement: ServerPlacement): string[] {
    const { install } = this.options;
    const logging =
      install.logging.kind === 'logback'
        ? [`-Dlogback.configurationFile=${install.logging.configFile}`]
        : [`-Dlog4j.configuration=file:${this.log4jProperties()}`];
    return [
      `-Xmx${this.options.heapMb}m`,
      '-XX:+UseSerialGC',
      '-Djava.net.preferIPv4Stack=true',
      ...logging,
      '-cp',
      install.classpath.join(':'),
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      zooCfgPath(placement.configDir),
    ];
  }

  private log4jProperties(): string {
    const path = join(this.options.clusterDir, 'log4j.properties');
    if (!existsSync(path)) {
      mkdirSync(this.options.clusterDir, { recursive: true });
      writeFileSync(path, LOG4J_PROPERTIES);
    }
    return path;
  }

  private serverDir(serverId: ServerId): string {
    return join(this.options.clusterDir, 'servers', String(serverId));
  }

  private logPath(serverId: ServerId): string {
    return join(this.serverDir(serverId), 'server.log');
  }

  /** Server id -> pid of every live JVM started from this cluster's directory. */
  private runningPids(): Map<ServerId, number> {
    const pattern = new RegExp(`${escapeRegExp(join(this.options.clusterDir, 'servers'))}/(\\d+)/zoo\\.cfg$`);
    const found = new Map<ServerId, number>();
    for (const { pid, args } of liveProcesses()) {
      const match = pattern.exec(args[args.length - 1] ?? '');
      if (match && args.includes('org.apache.zookeeper.server.quorum.QuorumPeerMain')) found.set(Number(match[1]), pid);
    }
    return found;
  }
}

async function answersRuok(host: string, port: number): Promise<boolean> {
  try {
    return (await sendFourLetterWord(host, port, 'ruok', 500)) === 'imok';
  } catch {
    return false; // not listening yet: the caller's deadline decides
  }
}

/** Every live (not zombie) process with its argv, read from /proc. */
export function liveProcesses(): { pid: number; args: string[] }[] {
  const result: { pid: number; args: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (args.length > 0 && isAlive(pid)) result.push({ pid, args });
    } catch {
      // the process ended while we looked: it is not live
    }
  }
  return result;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Sends the signal; true when the process is gone within `waitMs`. */
async function signalAndWait(pid: number, signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(20);
  }
  return !isAlive(pid);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
