import type { MemberProbe } from './health.js';
import type { EnsembleConfig, ServerId } from './model.js';

// What one tick observed, gathered by the shell and handed to the pure core.

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated' | 'impaired';

/** An EC2 instance or local process that runs (or ran) a member. */
export interface Instance {
  readonly serverId: ServerId;
  readonly instanceId: string;
  /** The address the server listens on (its private IP on EC2, 127.x.y.id locally). */
  readonly host: string;
  readonly state: InstanceState;
  readonly zone: string;
  readonly launchTemplateVersion?: string | undefined;
}

/** Read load over the policy's window, for the whole ensemble (the core divides per server). */
export interface LoadSample {
  readonly windowSeconds: number;
  readonly requestsPerSecond: number;
  readonly connections: number;
  readonly avgLatencyMs: number;
  readonly outstandingRequests: number;
}

/** Why AWS wants an instance back, and by when (an EC2 notice). */
export interface Notice {
  readonly reason: string;
  readonly deadline?: number;
}

/** Operator requests recorded since the last tick (manual commands, alarms naming a server). */
export interface Requests {
  /** Servers whose evidence an operator asked to drop (gone servers only; the tick checks). */
  readonly forget: readonly ServerId[];
  readonly reports: readonly { readonly serverId: ServerId; readonly reason: string; readonly at: number }[];
  readonly replace: readonly ServerId[];
  /** The EC2 notices among the replace requests, by server: what AWS said, naming its deadline, and
   * the deadline itself when AWS gave one (epoch ms). */
  readonly notices?: Readonly<Record<ServerId, Notice>>;
}

export type ConfigObservation =
  | { readonly readable: true; readonly config: EnsembleConfig }
  | { readonly readable: false; readonly reason: string };

/** Every live global session, as the leader's session tracker lists them (4lw `dump`). Read only
 * when a server id is to be reused (serverIds.ts): a session's top byte names the server that
 * created it, and a reused id must not meet a session of its predecessor. */
export type SessionsObservation =
  | { readonly readable: true; readonly leader: ServerId; readonly sessionIds: readonly bigint[] }
  | { readonly readable: false; readonly reason: string };

export interface Observation {
  readonly config: ConfigObservation;
  readonly probes: readonly MemberProbe[];
  readonly instances: readonly Instance[];
  readonly load?: LoadSample | undefined;
  readonly requests: Requests;
  /** Absent when not read (a steady tick never reads them). */
  readonly sessions?: SessionsObservation | undefined;
}

/** A server's instance that is not terminated (EC2 lists terminated ones for a while, beside a
 * newer instance of the same server after a relaunch). */
export function liveInstance(instances: readonly Instance[], serverId: ServerId): Instance | undefined {
  return instances.find((i) => i.serverId === serverId && i.state !== 'terminated');
}

export const NO_REQUESTS: Requests = { reports: [], replace: [], forget: [] };
