import { parseOrThrow } from '../../lib/config/parse.js';
import { ClusterSpecSchema, ControllerStateSchema, documentText, leaseHolds, mergeRequests, specStoredAs, stateText, type ClusterSpec, type ControllerState } from '../../lib/config/index.js';
import { InvalidInputError, LeaseLostError, NotFoundError } from '../../lib/errors.js';
import type { Lease, OperatorRequest, PublishedConnectStrings, StateStore, StoredState } from '../../lib/ports/index.js';

// An in-memory StateStore for unit tests of the controller; it passes the same contract suite as
// the real stores (test/contract/stateStore.contract.test.ts), so it may stand in for them.

interface Cluster {
  spec?: string;
  state?: { text: string; version: number };
  lease?: { holder: string; token: number; expiresAt: number };
  requests: OperatorRequest[];
  connect?: PublishedConnectStrings;
  password?: string;
}

export class MemoryStateStore implements StateStore {
  private readonly clusters = new Map<string, Cluster>();

  private cluster(name: string): Cluster {
    let c = this.clusters.get(name);
    if (!c) this.clusters.set(name, (c = { requests: [] }));
    return c;
  }

  /** Puts raw text where the spec lives, as an operator's bad edit would. */
  plantSpec(cluster: string, text: string): void {
    this.cluster(cluster).spec = text;
  }

  async listClusters(): Promise<string[]> {
    return [...this.clusters].filter(([, c]) => c.spec !== undefined).map(([name]) => name).sort();
  }

  async readSpec(cluster: string): Promise<ClusterSpec> {
    const text = this.clusters.get(cluster)?.spec;
    if (text === undefined) throw new NotFoundError(`cluster "${cluster}"`, { cluster });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InvalidInputError(`spec of ${cluster}`, ['(root): not JSON'], { cause: err });
    }
    return specStoredAs(cluster, parseOrThrow(ClusterSpecSchema, json, `spec of ${cluster}`), `spec of ${cluster}`);
  }

  async writeSpec(cluster: string, spec: ClusterSpec): Promise<void> {
    this.cluster(cluster).spec = JSON.stringify(specStoredAs(cluster, spec, 'spec'));
  }

  async readState(cluster: string): Promise<StoredState | undefined> {
    const s = this.clusters.get(cluster)?.state;
    return s ? { state: parseOrThrow(ControllerStateSchema, JSON.parse(s.text), `state of ${cluster}`), version: String(s.version) } : undefined;
  }

  async writeState(cluster: string, state: ControllerState, lease: Lease): Promise<void> {
    const text = stateText(cluster, state);
    const c = this.cluster(cluster);
    if (!(await this.holdsLease(lease, Date.now()))) throw new LeaseLostError(cluster, lease.token, c.lease?.holder ?? 'nobody');
    c.state = { text, version: (c.state?.version ?? 0) + 1 };
  }

  async holdsLease(lease: Lease, now: number): Promise<boolean> {
    return leaseHolds(this.clusters.get(lease.cluster)?.lease, lease, now);
  }

  async acquireLease(cluster: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    const c = this.cluster(cluster);
    if (c.lease && c.lease.holder !== holder && c.lease.expiresAt > now) return undefined;
    c.lease = { holder, token: (c.lease?.token ?? 0) + 1, expiresAt: now + ttlMs };
    return { cluster, ...c.lease };
  }

  async releaseLease(lease: Lease): Promise<void> {
    const c = this.cluster(lease.cluster);
    if (c.lease?.token === lease.token) c.lease = { ...c.lease, expiresAt: 0 };
  }

  async readRequests(cluster: string): Promise<OperatorRequest[]> {
    return [...(this.clusters.get(cluster)?.requests ?? [])];
  }

  async addRequest(cluster: string, request: OperatorRequest): Promise<void> {
    const c = this.cluster(cluster);
    const merged = mergeRequests(c.requests, [request]);
    documentText(cluster, 'requests', merged);
    c.requests = merged;
  }

  /** Connect-string writes, as a store that writes only on change would make them. */
  connectWrites = 0;

  async publishConnectString(cluster: string, render: (published: PublishedConnectStrings | undefined) => PublishedConnectStrings): Promise<void> {
    const c = this.cluster(cluster);
    const strings = render(c.connect);
    if (c.connect?.clients === strings.clients && c.connect.readMostly === strings.readMostly) return;
    c.connect = { clients: strings.clients, readMostly: strings.readMostly };
    this.connectWrites++;
  }

  async readConnectString(cluster: string): Promise<PublishedConnectStrings | undefined> {
    return this.clusters.get(cluster)?.connect;
  }

  async readSuperPassword(cluster: string): Promise<string> {
    const c = this.cluster(cluster);
    c.password ??= `pw-${cluster}`;
    return c.password;
  }
}
