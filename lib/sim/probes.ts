import type { MemberProbe, ServerHealth, ServerMode } from '../core/index.js';
import type { ServerId } from '../core/index.js';

// Probe results for modelled servers: what a real probe of a server in that state would return.

export interface ModelLoad {
  readonly connections: number;
  readonly outstandingRequests: number;
  readonly avgLatencyMs: number;
  readonly packetsReceived: number;
}

const IDLE: ModelLoad = { connections: 10, outstandingRequests: 0, avgLatencyMs: 1, packetsReceived: 1000 };

export function modelHealth(mode: ServerMode, load: ModelLoad = IDLE, overrides: Partial<ServerHealth> = {}): ServerHealth {
  return {
    mode,
    version: '3.8.0-model, built on 2024-12-29 17:54 UTC',
    zxid: 0x100000010n,
    peerState: `${mode === 'leader' ? 'leading' : mode === 'observer' ? 'observing' : 'following'} - broadcast`,
    latencyMs: { min: 0, avg: load.avgLatencyMs, max: load.avgLatencyMs * 5 },
    outstandingRequests: load.outstandingRequests,
    connections: load.connections,
    packetsReceived: load.packetsReceived,
    packetsSent: load.packetsReceived,
    znodeCount: 100,
    watchCount: 0,
    ephemeralsCount: 0,
    approximateDataSizeBytes: 1000,
    openFileDescriptors: 50,
    maxFileDescriptors: 20000,
    votersInConfig: undefined,
    leader: undefined,
    extra: {},
    ...overrides,
  };
}

export function servingProbe(serverId: ServerId, host: string, mode: ServerMode, load?: ModelLoad, overrides?: Partial<ServerHealth>): MemberProbe {
  return { serverId, endpoint: `${host}:2181`, tookMs: 2, result: { status: 'serving', health: modelHealth(mode, load, overrides) } };
}

export function silentProbe(serverId: ServerId, host: string): MemberProbe {
  return { serverId, endpoint: `${host}:2181`, tookMs: 1, result: { status: 'no-answer', failure: 'refused', detail: 'connect ECONNREFUSED' } };
}

export function notServingProbe(serverId: ServerId, host: string): MemberProbe {
  return { serverId, endpoint: `${host}:2181`, tookMs: 1, result: { status: 'not-serving', detail: 'This ZooKeeper instance is not currently serving requests' } };
}
