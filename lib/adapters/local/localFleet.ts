import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Instance, ServerId } from '../../core/index.js';
import { InvalidInputError } from '../../errors.js';
import type { AddressReservation, BootLayout, Fleet, ForeignInstance, LaunchRequest } from '../../ports/index.js';
import type { ProcessFleet } from './processFleet.js';

// The Fleet port on local processes: an instance is a server directory; it is running while its
// JVM is, and stopped when the JVM is gone (killed or crashed), as an EC2 instance would be.
// Launch writes the files the controller rendered, as EC2's user data does.

export class LocalFleet implements Fleet {
  constructor(
    private readonly processes: ProcessFleet,
    private readonly cluster: string,
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

  layout(serverId: ServerId): BootLayout {
    return this.processes.placementOf(serverId);
  }

  /** A local server's address is fixed by its id; the creation a server was launched with is kept
   * beside its files. */
  async reserveAddresses(servers: readonly { serverId: ServerId }[]): Promise<AddressReservation> {
    const kept = [...new Set(this.processes.list().map((s) => readPlacement(s.configDir, 'creation')).filter((c) => c !== undefined))];
    if (kept.length > 1) throw new InvalidInputError('reserve addresses', [`creation: the servers were launched by different creations (${kept.join(', ')})`]);
    return { addresses: new Map(servers.map((s) => [s.serverId, this.processes.placementOf(s.serverId).host])), creation: kept[0] };
  }

  async launch(request: LaunchRequest): Promise<Instance> {
    const running = (await this.list()).find((i) => i.serverId === request.serverId && i.state === 'running');
    if (running) return running; // the same operation, retried
    const reserved = request.reservation?.addresses.get(request.serverId);
    const placement = this.processes.placementOf(request.serverId);
    if (reserved !== undefined && reserved !== placement.host) {
      throw new InvalidInputError(`launch of server ${request.serverId}`, [`reservation: ${reserved} is not its local address ${placement.host}`]);
    }
    await this.processes.launch(request.serverId, (p) => {
      // What EC2 keeps in tags, a local server keeps beside its files.
      writeFileSync(join(p.configDir, 'zone'), request.zone);
      if (request.launchTemplate) writeFileSync(join(p.configDir, 'launch-template-version'), request.launchTemplate.version);
      if (request.reservation) writeFileSync(join(p.configDir, 'creation'), request.reservation.creation);
      return request.files;
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

  /** Local servers are this fleet's own processes: none is foreign. */
  async findByAddress(): Promise<ReadonlyMap<string, ForeignInstance>> {
    return new Map();
  }

  async adopt(): Promise<void> {
    throw new InvalidInputError('adopt', ['target: adopt takes over EC2 instances; a local cluster is created by `create` or `npm start`']);
  }
}

function readPlacement(configDir: string, file: 'zone' | 'launch-template-version' | 'creation'): string | undefined {
  const path = join(configDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined;
}
