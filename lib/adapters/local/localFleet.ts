import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderServerFiles } from '../../core/bootstrap.js';
import type { Instance, ServerId } from '../../core/index.js';
import type { Fleet, LaunchRequest, SuperPassword } from '../../ports/index.js';
import { superDigest } from '../../zk/auth.js';
import type { ProcessFleet } from './processFleet.js';

// The Fleet port on local processes: an instance is a server directory; it is running while its
// JVM is, and stopped when the JVM is gone (killed or crashed), as an EC2 instance would be.
// Launch renders the joiner's files with the same bootstrap EC2's user data uses.

export class LocalFleet implements Fleet {
  constructor(
    private readonly processes: ProcessFleet,
    private readonly cluster: string,
    private readonly superPassword: SuperPassword,
  ) {}

  async list(): Promise<Instance[]> {
    return this.processes.list().map((s) => ({
      serverId: s.serverId,
      instanceId: `local-${this.cluster}-${s.serverId}`,
      host: s.host,
      state: s.pid === undefined ? 'stopped' : 'running',
      zone: readPlacement(s.configDir, 'zone') ?? 'local',
      launchTemplateVersion: readPlacement(s.configDir, 'launch-template-version'),
    }));
  }

  async launch(request: LaunchRequest): Promise<Instance> {
    const running = (await this.list()).find((i) => i.serverId === request.serverId && i.state === 'running');
    if (running) return running; // the same operation, retried
    const digest = superDigest(await this.superPassword());
    await this.processes.launch(request.serverId, (placement) => {
      // What EC2 keeps in tags, a local server keeps beside its files.
      writeFileSync(join(placement.configDir, 'zone'), request.zone);
      if (request.spec.launchTemplate) writeFileSync(join(placement.configDir, 'launch-template-version'), request.spec.launchTemplate.version);
      return renderServerFiles({
        cluster: this.cluster,
        settings: request.spec.zookeeper,
        allowEvenVoters: request.spec.voters.allowEven,
        serverId: request.serverId,
        host: placement.host,
        configDir: placement.configDir,
        dataDir: placement.dataDir,
        superDigest: digest,
        membership: { kind: 'join', committed: request.committed },
      });
    });
    const instance = (await this.list()).find((i) => i.serverId === request.serverId);
    if (!instance) throw new Error(`server ${request.serverId} started but is not listed`);
    return instance;
  }

  async bootLog(serverId: ServerId): Promise<string | undefined> {
    return this.processes.list().some((s) => s.serverId === serverId) ? this.processes.logTail(serverId) : undefined;
  }

  /** Stops the JVM hard (its clients fail over sooner than after SIGTERM) and removes its files. */
  async terminate(serverId: ServerId): Promise<void> {
    await this.processes.stop(serverId, 'kill');
    this.processes.removeFiles(serverId);
  }
}

function readPlacement(configDir: string, file: 'zone' | 'launch-template-version'): string | undefined {
  const path = join(configDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined;
}
