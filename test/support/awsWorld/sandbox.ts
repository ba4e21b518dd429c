import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EC2_CONFIG_DIR, EC2_DATA_DIR } from '../../../lib/adapters/aws/userData.js';
import { ProcessFleet, type StopMode, type ZooKeeperInstall } from '../../../lib/adapters/local/index.js';
import { parseDynamicConfig } from '../../../lib/core/index.js';
import type { InstanceHost } from '../fakeEc2.js';
import { killAndWait } from '../processes.js';

// The test world's instances: each runs its real user data with bash, in a directory of its own.
// The script's paths (/etc/zookeeper/conf, /var/lib/zookeeper, /etc/systemd) are moved under that
// directory; `install` drops `-o zookeeper -g zookeeper` (tests do not run as root); `systemctl`
// daemon-reload and enable do nothing, and `restart zookeeper` asks for the JVM, which the world
// starts once the script has finished, with local mode's own ProcessFleet (keyed here by the last
// octet of the instance's address, so the fleet's `<prefix>.<id>` host is the instance's IP).
// The bind addresses become the instance's IP (the world's one deviation, see index.ts). The
// unit's UMask drop-in is written but applies to nothing: no systemd runs the JVM.

export interface SandboxOptions {
  readonly root: string;
  readonly java: string;
  readonly install: ZooKeeperInstall;
  readonly heapMb: number;
  readonly startTimeoutMs: number;
}

interface Sandboxed {
  readonly dir: string;
  readonly octet: number;
  readonly ip: string;
  /** The user data's output, and what the world said about starting the server. */
  readonly output: string[];
  fleet?: ProcessFleet;
  /** The console as it was at termination (the instance's disk is gone). */
  final?: string;
}

const SCRIPT_TIMEOUT_MS = 30_000;
const CONSOLE_LOG_LINES = 200;

const SYSTEMCTL = `#!/bin/bash
# systemd in the AWS test world: restarting zookeeper asks the world to start the JVM.
case "$*" in
  daemon-reload|"enable zookeeper") ;;
  "restart zookeeper") : > "$ZK_WORLD_START" ;;
  *) echo "systemctl $*: not in the AWS test world" >&2; exit 1 ;;
esac
`;

const installShim = (realInstall: string): string => `#!/bin/bash
# install without owners: tests do not run as root.
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o|-g) shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec ${realInstall} "\${args[@]}"
`;

export class InstanceSandbox implements InstanceHost {
  private readonly instances = new Map<string, Sandboxed>();
  private readonly booting = new Set<Promise<void>>();
  private readonly bin: string;
  private closed = false;

  constructor(private readonly options: SandboxOptions) {
    this.bin = join(options.root, 'bin');
    mkdirSync(this.bin, { recursive: true });
    const realInstall = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'install')).find((p) => existsSync(p));
    if (!realInstall) throw new Error('AWS test world: no install(1) on PATH for the user data to run');
    writeFileSync(join(this.bin, 'systemctl'), SYSTEMCTL, { mode: 0o755 });
    writeFileSync(join(this.bin, 'install'), installShim(realInstall), { mode: 0o755 });
  }

  boot(instanceId: string, privateIp: string, userData: string | undefined): Promise<void> {
    const booted = this.run(instanceId, privateIp, userData).finally(() => this.booting.delete(booted));
    this.booting.add(booted);
    return booted;
  }

  async terminate(instanceId: string): Promise<void> {
    const i = this.instances.get(instanceId);
    if (!i) return;
    await this.killJvm(instanceId);
    i.final = this.console(instanceId);
    rmSync(i.dir, { recursive: true, force: true });
  }

  console(instanceId: string): string | undefined {
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    return i.final ?? [...i.output, ...(i.fleet ? [i.fleet.logTail(i.octet, CONSOLE_LOG_LINES)] : [])].join('\n');
  }

  /** kill -9 of the instance's JVM; EC2 still says running. */
  async killJvm(instanceId: string): Promise<void> {
    await this.stopJvm(instanceId, 'kill');
  }

  async stopJvm(instanceId: string, mode: StopMode = 'graceful'): Promise<void> {
    const i = this.instances.get(instanceId);
    await i?.fleet?.stop(i.octet, mode);
  }

  /** Starts the instance's JVM again from the files it has (ZooKeeper rewrote them at each reconfig). */
  async startJvm(instanceId: string): Promise<void> {
    const i = this.instances.get(instanceId);
    if (!i?.fleet) throw new Error(`instance ${instanceId}: no ZooKeeper was ever started on it`);
    await i.fleet.restart(i.octet);
  }

  pidOf(instanceId: string): number | undefined {
    const i = this.instances.get(instanceId);
    return i?.fleet?.pidOf(i.octet);
  }

  /** Kills every process the world started (JVMs and scripts) and removes its files. */
  async close(): Promise<void> {
    this.closed = true;
    await killAndWait(this.options.root);
    await Promise.allSettled([...this.booting]);
    await killAndWait(this.options.root);
    rmSync(this.options.root, { recursive: true, force: true });
  }

  private async run(instanceId: string, ip: string, userData: string | undefined): Promise<void> {
    const dir = join(this.options.root, instanceId);
    const octet = Number(ip.split('.')[3]);
    // Where ProcessFleet looks for the zoo.cfg of server `octet` under `dir`.
    const configDir = join(dir, 'servers', String(octet));
    const i: Sandboxed = { dir, octet, ip, output: [] };
    this.instances.set(instanceId, i);
    mkdirSync(dir, { recursive: true });
    if (userData === undefined) return;
    const script = join(dir, 'user-data');
    writeFileSync(script, sandboxed(userData, { configDir, dataDir: join(dir, 'var/lib/zookeeper'), systemdDir: join(dir, 'etc/systemd'), ip }), { mode: 0o700 });
    const started = join(dir, 'zookeeper-start-requested');
    const code = await this.bash(script, started, i.output, dir);
    i.output.push(`user data exited with ${code}`);
    if (this.closed || !existsSync(started)) return;
    const clientPort = this.clientPort(configDir, ip);
    if (typeof clientPort === 'string') {
      i.output.push(`zookeeper.service: ${clientPort}`);
      return;
    }
    const [a, b, c] = ip.split('.');
    i.fleet = new ProcessFleet({ clusterDir: dir, addressPrefix: `${a}.${b}.${c}`, clientPort, heapMb: this.options.heapMb, java: this.options.java, install: this.options.install, startTimeoutMs: this.options.startTimeoutMs });
    await i.fleet.restart(octet).catch((err: unknown) => i.output.push(`zookeeper.service: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** This server's client port, from the dynamic file its zoo.cfg names; or why there is none. */
  private clientPort(configDir: string, ip: string): number | string {
    try {
      const zooCfg = readFileSync(join(configDir, 'zoo.cfg'), 'utf8');
      const dynamicFile = /^dynamicConfigFile=(.*)$/m.exec(zooCfg)?.[1];
      if (!dynamicFile) return 'zoo.cfg names no dynamicConfigFile';
      const self = parseDynamicConfig(readFileSync(dynamicFile, 'utf8'), dynamicFile).find((m) => m.clientHost === ip);
      return self?.clientPort ?? `no server line in ${dynamicFile} serves clients at ${ip}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private bash(script: string, started: string, output: string[], cwd: string): Promise<string> {
    return new Promise((resolve) => {
      const child = spawn('bash', [script], {
        cwd,
        env: { ...process.env, PATH: `${this.bin}${delimiter}${process.env.PATH ?? ''}`, ZK_WORLD_START: started },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
      const keep = (chunk: Buffer): void => void output.push(...chunk.toString('utf8').trimEnd().split('\n'));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', (err) => (clearTimeout(timer), resolve(`an error: ${err.message}`)));
      child.on('close', (code, signal) => (clearTimeout(timer), resolve(signal ? `signal ${signal}` : `code ${code}`)));
    });
  }
}

function sandboxed(script: string, at: { configDir: string; dataDir: string; systemdDir: string; ip: string }): string {
  return script
    .replaceAll(EC2_CONFIG_DIR, at.configDir)
    .replaceAll(EC2_DATA_DIR, at.dataDir)
    .replaceAll('/etc/systemd/', `${at.systemdDir}/`)
    .replaceAll('0.0.0.0', at.ip)
    .replaceAll('admin.serverAddress=127.0.0.1', `admin.serverAddress=${at.ip}`);
}
