// The ports: what the controller needs from the world, as types only. Each has an AWS adapter and
// a local one, and one contract test suite both must pass (test/contract).

import type { ClusterSpec } from '../config/spec.js';
import type { ControllerState } from '../config/state.js';
import type { EnsembleConfig, Instance, LaunchRole, LoadSample, MemberProbe, MembershipChange, Role, ServerFiles, ServerId } from '../core/index.js';

/** The cluster's super-user password, read (and decrypted) only when something needs it: a launch
 * (the new server gets its digest) or a reconfig. A steady tick, and the manual function, never do. */
export type SuperPassword = () => Promise<string>;

/** Where each cluster's super password is kept (an SSM SecureString, a local file): apart from the
 * state, so that what reads state never reads the password. */
export interface SuperPasswords {
  read(cluster: string): Promise<string>;
}

/** ZooKeeper's super user for one cluster, as the controller needs it. */
export interface SuperUser {
  /** The credentials a reconfig is sent with. */
  readonly password: SuperPassword;
  /** `super:<base64 sha1>`, the form servers boot with (zoo.cfg's superDigest). */
  digest(): Promise<string>;
}

/** A narrow structured logger: a message and JSON-safe fields. lib/ never prints. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Log;
}

/** A claim on one cluster by one tick: holders are unique per invocation, so a
 * second invocation of the same function is refused while the first holds it. `token` increases
 * with every claim: state writes carry it, and every acting step checks it first (fencing). */
export interface Lease {
  readonly cluster: string;
  readonly holder: string;
  readonly token: number;
  readonly expiresAt: number;
}

/** An operator's request, recorded by a manual command and applied by the next tick. */
export type OperatorRequest =
  | { readonly id: string; readonly kind: 'report' | 'replace' | 'forget'; readonly serverId: ServerId; readonly reason: string; readonly at: number }
  /** An EC2 notice: the instance it is about, and the deadline AWS gave (epoch ms), if any. */
  | { readonly id: string; readonly kind: 'replace'; readonly serverId: ServerId; readonly instanceId: string; readonly deadline?: number; readonly reason: string; readonly at: number }
  /** Create the cluster (its spec is stored; no state yet): the tick launches its initial voters. */
  | { readonly id: string; readonly kind: 'create'; readonly reason: string; readonly at: number };

export interface PublishedConnectStrings {
  readonly clients: string;
  readonly readMostly: string;
}

export interface StoredState {
  readonly state: ControllerState;
  /** Opaque version of what was read (file mtime+size, SSM version). */
  readonly version: string;
}

export interface StateStore {
  listClusters(): Promise<string[]>;
  /** The cluster's spec, validated; InvalidInputError naming the field when it is malformed. */
  readSpec(cluster: string): Promise<ClusterSpec>;
  writeSpec(cluster: string, spec: ClusterSpec): Promise<void>;
  /** Undefined for a cluster the controller has never run. */
  readState(cluster: string): Promise<StoredState | undefined>;
  /** Writes the state if `lease` is still the cluster's lease; LeaseLostError otherwise. */
  writeState(cluster: string, state: ControllerState, lease: Lease): Promise<void>;
  /** Claims the cluster's lease for `ttlMs`; undefined while someone else holds it. */
  acquireLease(cluster: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined>;
  /** Whether `lease` is still the cluster's lease at `now`: not taken over, not expired, not released. */
  holdsLease(lease: Lease, now: number): Promise<boolean>;
  releaseLease(lease: Lease): Promise<void>;
  readRequests(cluster: string): Promise<OperatorRequest[]>;
  addRequest(cluster: string, request: OperatorRequest): Promise<void>;
  /** The connect strings applications read, rendered from the ones published before (undefined at
   * first); written only when they change. */
  publishConnectString(cluster: string, render: (published: PublishedConnectStrings | undefined) => PublishedConnectStrings): Promise<void>;
  readConnectString(cluster: string): Promise<PublishedConnectStrings | undefined>;
}

export interface LaunchRequest {
  readonly serverId: ServerId;
  /** What it is launched to be (the instance's role tag); its boot files make it a joiner either way. */
  readonly role: LaunchRole;
  /** The zone asked for; a fleet may fall back to `fallbackZones` when it has no capacity. */
  readonly zone: string;
  /** Stable for the operation: a retried launch is the same launch. */
  readonly operationId: string;
  /** The server's boot files, rendered by the controller for the fleet's `layout`. */
  readonly files: ServerFiles;
  /** Zones to try, in order, when `zone` has none left (each with its subnet on EC2). */
  readonly zones: readonly ZonePlacement[];
  /** The launch template the instance starts from (EC2; recorded on the instance either way). */
  readonly launchTemplate?: { readonly id: string; readonly version: string };
  /** Servers created together (create): the address reserved for each, and the creation they
   * belong to. This one starts at its own, in `zone` only, and the fleet keeps the whole
   * reservation so a resumed creation finds it. */
  readonly reservation?: AddressReservation & { readonly creation: string };
}

export interface ZonePlacement {
  readonly name: string;
  readonly subnetId?: string;
}

/** Addresses chosen before a launch, one per server, so that every initial member's files can
 * name all of them (ZooKeeper's way to start an ensemble). */
export interface AddressReservation {
  readonly addresses: ReadonlyMap<ServerId, string>;
  /** The creation the servers already launched belong to (the controller's label), when the
   * reservation is one they were launched with; undefined for a fresh one. */
  readonly creation: string | undefined;
}

/** Where a server's files place it on its instance. */
export interface BootLayout {
  /** The address it binds, when not a reserved one: EC2 binds every interface (the private IP is
   * EC2's to choose), a local server its own loopback address. */
  readonly host: string;
  readonly configDir: string;
  readonly dataDir: string;
}

/** A server of an ensemble the controller did not launch, found by its address. */
export interface ForeignInstance {
  readonly instanceId: string;
  readonly host: string;
  readonly zone: string;
  readonly state: Instance['state'];
}

export interface Fleet {
  /** Every instance of this cluster, whatever its state, terminated ones too while the fleet still
   * lists them (EC2: about an hour), so a server whose instance is gone is failed at once. */
  list(): Promise<Instance[]>;
  /** Where server `serverId`'s files go and what address they bind. */
  layout(serverId: ServerId): BootLayout;
  /** An address per server, each in its zone, for servers about to be created together: the
   * reservation the fleet's live instances were launched with when there is one (a creation
   * resumed), else free addresses. */
  reserveAddresses(servers: readonly { readonly serverId: ServerId; readonly zone: string }[], zones: readonly ZonePlacement[]): Promise<AddressReservation>;
  /** Idempotent per operation: a launch already done returns the same instance. */
  launch(request: LaunchRequest): Promise<Instance>;
  /** Stops the server hard and forgets it; idempotent; refuses instances not of this cluster. */
  terminate(serverId: ServerId): Promise<void>;
  /** The last lines the server's instance wrote while it booted (EC2's console output, the local
   * server's log), or undefined when it has none: the evidence kept when a joiner failed to join. */
  bootLog(serverId: ServerId): Promise<string | undefined>;
  /** The live instances at these addresses in the given zones' subnets, whoever launched them
   * (adopt); an address two instances hold, or one an instance of another cluster holds, is refused. */
  findByAddress(hosts: readonly string[], zones: readonly ZonePlacement[]): Promise<ReadonlyMap<string, ForeignInstance>>;
  /** Takes running instances of an ensemble the controller did not launch under management: from
   * then on they are listed, probed and replaced like the fleet's own. */
  adopt(servers: readonly { readonly serverId: ServerId; readonly role: Role; readonly instance: ForeignInstance }[]): Promise<void>;
}

export interface Probe {
  probe(targets: readonly { serverId: ServerId; host: string }[]): Promise<MemberProbe[]>;
  /** Every live global session id, as the leader lists them (4lw `dump`); asked only when a server
   * id is to be reused. InvalidInputError naming the line when the answer is not a leader's list. */
  sessions(leader: { serverId: ServerId; host: string }): Promise<bigint[]>;
}

export type ReconfigOutcome =
  | { readonly outcome: 'committed'; readonly config: EnsembleConfig; readonly via: 'reply' | 'read-back' }
  | { readonly outcome: 'not-seen' | 'superseded'; readonly config: EnsembleConfig; readonly cause: Error };

/** Whether this ensemble would accept our reconfigs, as found without changing anything. */
export type ReconfigAccess = 'authorised' | 'reconfig-disabled' | 'digest-rejected' | 'standalone';

export interface EnsembleSession {
  readConfig(): Promise<EnsembleConfig>;
  /** Sends the super user's credentials, and finds out whether a reconfig would be accepted. */
  reconfigAccess(): Promise<ReconfigAccess>;
  reconfig(change: MembershipChange, plannedFrom: EnsembleConfig): Promise<ReconfigOutcome>;
  /** One write through the quorum (after a removal committed, before the removed server stops). */
  confirmWrite(): Promise<void>;
  close(): Promise<void>;
}

export interface Ensemble {
  /** An admin session to one server (`host:port`). It reads without credentials; the super user's
   * go to that server only, and only with a reconfig. */
  open(server: string): Promise<EnsembleSession>;
}

/** What one tick publishes about a cluster. */
export interface TickMetrics {
  readonly cluster: string;
  readonly at: number;
  readonly voters: number;
  readonly votersSynced: number;
  readonly observers: number;
  readonly quorumMargin: number;
  readonly operationInFlight: boolean;
  readonly failedMembers: number;
  /** Hot spares kept, and of them the ones synced now (ready to be swapped in). */
  readonly spares: number;
  readonly sparesReady: number;
  /** Observers the decision wants beyond those there are (load above target, or a size raised). */
  readonly observerShortfall: number;
  /** New servers that failed to join in a row from the current launch template (launches back off, then stop). */
  readonly launchFailures: number;
  readonly load: EnsembleLoad;
  readonly servers: readonly {
    readonly serverId: ServerId;
    readonly healthy: boolean;
    readonly role: string;
    readonly avgLatencyMs: number;
    readonly outstandingRequests: number;
    readonly connections: number;
    /** Its packet counter; undefined when it did not answer (a 0 would read as a restart). */
    readonly packetsReceived: number | undefined;
    readonly zxid: string;
  }[];
}

/** The ensemble's gauges: totals over the servers judged healthy. */
export interface EnsembleLoad {
  readonly connections: number;
  /** Mean of the servers' average latencies. */
  readonly avgLatencyMs: number;
  readonly outstandingRequests: number;
}

export interface MetricsSink {
  publish(metrics: TickMetrics): Promise<void>;
}

/** Read load over a window, from the metrics the ticks published (CloudWatch, or memory). */
export interface MetricsSource {
  /** Request rate from the given servers' counters, gauges of the whole ensemble. */
  loadWindow(cluster: string, serverIds: readonly ServerId[], windowSeconds: number, now: number): Promise<LoadSample | undefined>;
}
