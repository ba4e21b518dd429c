import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  type ParameterHistory,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { mergeRequests, OperatorRequestsSchema, type OperatorRequests } from '../../config/operator.js';
import { parseJsonText, parseOrThrow } from '../../config/parse.js';
import { ClusterSpecSchema, type ClusterSpec } from '../../config/spec.js';
import { ControllerStateSchema, type ControllerState } from '../../config/state.js';
import { documentText, leaseHolds, specStoredAs, stateText } from '../../config/documents.js';
import { ControllerError, InvalidInputError, LeaseLostError, NotFoundError } from '../../errors.js';
import type { Lease, OperatorRequest, PublishedConnectStrings, StateStore, StoredState } from '../../ports/index.js';
import { AwsCallError, awsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';
import type { RateBudgets } from './rateBudget.js';

// The StateStore on SSM Parameter Store, under `<prefix>/<cluster>/`: spec, state, lease,
// requests, connect-string(-read-mostly) and super-password (SecureString).
//
// SSM has no compare-and-swap. The lease is a parameter created once and never deleted; a claim
// writes {holder, expiresAt, basedOn: v} over version v and holds only if SSM answers version v+1,
// so nobody wrote in between. A losing claim's write still lands, so the holder is the latest VALID
// record (version = basedOn + 1), looked up in the history when the latest is not. The version is
// the fencing token: a state write first checks that the valid record is still ours.

const LeaseRecordSchema = z.object({ holder: z.string(), expiresAt: z.number(), basedOn: z.number().int().min(0) });
/** A lease record with its fencing token: the SSM version it was written at. */
type LeaseRecord = z.output<typeof LeaseRecordSchema> & { readonly token: number };
/** Adopted instances: instance id -> server id. */
const AdoptedSchema = z.record(z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id'), z.number().int().min(1).max(255));

/** What readSpec reads with the spec, in the same GetParameters: a tick then reads its state, its
 * requests and (in a new container) its connect strings without another call. */
const READ_TOGETHER = ['spec', 'state', 'requests', 'connect-string', 'connect-string-read-mostly'] as const;
/** A value read with the spec answers the next read of it only this soon after: a tick reads them
 * within a second, and anything later (the re-read under the lease) goes to SSM. */
const READ_TOGETHER_FRESH_MS = 5_000;

/** Writers that keep overtaking each other give up after this many rounds (each round 2-3 calls). */
const ADD_REQUEST_ATTEMPTS = 5;

/** Other writers kept overtaking this one: the request is not recorded, and the caller is told. */
export class RequestNotRecordedError extends ControllerError {
  readonly kind = 'transient';
  constructor(cluster: string, parameter: string, attempts: number) {
    super(`request for ${cluster} not recorded: ${parameter} changed under each of ${attempts} attempts; try again`, { cluster, parameter, attempts });
    this.name = 'RequestNotRecordedError';
  }
}

export class SsmStateStore implements StateStore {
  /** The connect strings this store last read or wrote, per cluster (only the tick writes them). */
  private readonly published = new Map<string, { clients: string; readMostly: string }>();
  /** Per cluster, the state and requests read with its spec, each answered once (undefined: absent). */
  private readonly readWithSpec = new Map<string, { at: number; values: Map<string, { value: string; version: number } | undefined> }>();

  constructor(
    private readonly ssm: SSMClient,
    private readonly prefix = '/zk-autoscaler',
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly clock: () => number = () => Date.now(),
    /** This container's share of the account's SSM rates; none, unbudgeted (the CLI). */
    private readonly budgets?: RateBudgets,
  ) {}

  async listClusters(): Promise<string[]> {
    const clusters: string[] = [];
    const specName = new RegExp(`^${escape(this.prefix)}/([a-z0-9-]+)/spec$`);
    let token: string | undefined;
    do {
      const page = await this.call('GetParametersByPath', this.prefix, () =>
        this.ssm.send(new GetParametersByPathCommand({ Path: this.prefix, Recursive: true, MaxResults: 10, NextToken: token })),
      );
      for (const p of page.Parameters ?? []) {
        const match = specName.exec(p.Name ?? '');
        if (match?.[1]) clusters.push(match[1]);
      }
      token = page.NextToken;
    } while (token);
    return clusters.sort();
  }

  /** One GetParameters for the spec and what a tick reads next (state, requests, connect strings). */
  async readSpec(cluster: string): Promise<ClusterSpec> {
    const name = this.name(cluster, 'spec');
    const names = READ_TOGETHER.map((leaf) => this.name(cluster, leaf));
    const out = await this.call('GetParameters', name, () => this.ssm.send(new GetParametersCommand({ Names: names, WithDecryption: false })));
    const found = new Map((out.Parameters ?? []).map((q) => [q.Name ?? '', { value: q.Value ?? '', version: q.Version ?? 0 }]));
    const [, state, requests, clients, readMostly] = names;
    this.readWithSpec.set(cluster, { at: this.clock(), values: new Map([state, requests].map((n = '') => [n, found.get(n)])) });
    const connect = { clients: found.get(clients ?? ''), readMostly: found.get(readMostly ?? '') };
    if (connect.clients && connect.readMostly) this.published.set(cluster, { clients: connect.clients.value, readMostly: connect.readMostly.value });
    const p = found.get(name);
    if (!p) throw new NotFoundError(`cluster "${cluster}" (parameter ${name})`, { cluster, parameter: name });
    return specStoredAs(cluster, parseOrThrow(ClusterSpecSchema, parseJsonText(p.value, `parameter ${name}`), `spec parameter ${name}`), `spec parameter ${name}`);
  }

  async writeSpec(cluster: string, spec: ClusterSpec): Promise<void> {
    await this.put(this.name(cluster, 'spec'), JSON.stringify(specStoredAs(cluster, spec, 'spec')), true);
  }

  async readState(cluster: string): Promise<StoredState | undefined> {
    const name = this.name(cluster, 'state');
    const p = await this.readOnce(cluster, name);
    if (!p) return undefined;
    return { state: parseOrThrow(ControllerStateSchema, parseJsonText(p.value, `parameter ${name}`), `state parameter ${name}`), version: String(p.version) };
  }

  async writeState(cluster: string, state: ControllerState, lease: Lease): Promise<void> {
    const text = stateText(cluster, state);
    const holder = await this.validLease(cluster);
    if (!leaseHolds(holder, lease, this.clock())) throw new LeaseLostError(cluster, lease.token, holder?.holder ?? 'nobody');
    this.readWithSpec.delete(cluster); // what was read with the spec is older than this write
    await this.put(this.name(cluster, 'state'), text, true);
  }

  async holdsLease(lease: Lease, now: number): Promise<boolean> {
    return leaseHolds(await this.validLease(lease.cluster), lease, now);
  }

  async acquireLease(cluster: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    const name = this.name(cluster, 'lease');
    const latest = await this.get(name);
    const record = { holder, expiresAt: now + ttlMs };
    if (!latest) {
      // First claim ever: create-if-absent is SSM's one conditional write.
      const created = await this.put(name, JSON.stringify({ ...record, basedOn: 0 }), false).catch((err: unknown) => {
        if (err instanceof AwsCallError && err.code === 'ParameterAlreadyExists') return undefined;
        throw err;
      });
      return created === 1 ? { cluster, holder, token: 1, expiresAt: record.expiresAt } : undefined;
    }
    const current = await this.validLease(cluster, latest);
    if (current && current.holder !== holder && current.expiresAt > now) return undefined;
    const written = await this.put(name, JSON.stringify({ ...record, basedOn: latest.version }), true).catch((err: unknown) => {
      if (err instanceof AwsCallError && err.code === 'TooManyUpdates') return undefined;
      throw err;
    });
    return written === latest.version + 1 ? { cluster, holder, token: written, expiresAt: record.expiresAt } : undefined;
  }

  async releaseLease(lease: Lease): Promise<void> {
    const name = this.name(lease.cluster, 'lease');
    const latest = await this.get(name);
    const current = latest && (await this.validLease(lease.cluster, latest));
    if (!latest || current?.token !== lease.token) return; // not ours any more: nothing to release
    await this.put(name, JSON.stringify({ holder: lease.holder, expiresAt: 0, basedOn: latest.version }), true);
  }

  async readRequests(cluster: string): Promise<OperatorRequest[]> {
    const name = this.name(cluster, 'requests');
    const p = await this.readOnce(cluster, name);
    return p ? requestsIn(name, p.value) : [];
  }

  /**
   * Read-modify-write without a lost update, although SSM has no conditional write: the version
   * PutParameter returns tells whether anyone wrote between our read and our write; if so, what
   * they wrote (from the history) is merged back in and written again.
   */
  async addRequest(cluster: string, request: OperatorRequest): Promise<void> {
    const name = this.name(cluster, 'requests');
    let ours: OperatorRequests = [request];
    for (let attempt = 0; attempt < ADD_REQUEST_ATTEMPTS; attempt++) {
      const latest = await this.get(name);
      const read = latest ? requestsIn(name, latest.value) : [];
      const readVersion = latest?.version ?? 0;
      const written = await this.put(name, documentText(cluster, 'requests', mergeRequests(read, ours)), true);
      if (written === readVersion + 1) return;
      for (const h of await this.history(name)) {
        const version = h.Version ?? 0;
        if (version > readVersion && version < written) ours = mergeRequests(ours, requestsIn(name, h.Value ?? ''));
      }
    }
    throw new RequestNotRecordedError(cluster, name, ADD_REQUEST_ATTEMPTS);
  }

  async publishConnectString(cluster: string, render: (published: PublishedConnectStrings | undefined) => PublishedConnectStrings): Promise<void> {
    // Read once per container, then remembered: a warm Lambda's steady tick spends no call here.
    const current = this.published.get(cluster) ?? (await this.readConnectString(cluster));
    const strings = render(current);
    if (current?.clients !== strings.clients) await this.put(this.name(cluster, 'connect-string'), strings.clients, true);
    if (current?.readMostly !== strings.readMostly) await this.put(this.name(cluster, 'connect-string-read-mostly'), strings.readMostly, true);
    this.published.set(cluster, { clients: strings.clients, readMostly: strings.readMostly });
  }

  async readConnectString(cluster: string): Promise<PublishedConnectStrings | undefined> {
    const [clients, readMostly] = await Promise.all([this.get(this.name(cluster, 'connect-string')), this.get(this.name(cluster, 'connect-string-read-mostly'))]);
    return clients && readMostly ? { clients: clients.value, readMostly: readMostly.value } : undefined;
  }

  /** The instances an operator adopted into the cluster (instance id -> server id): written once,
   * by adopt, never by a tick; empty for a cluster the controller created. */
  async readAdopted(cluster: string): Promise<ReadonlyMap<string, number>> {
    const name = this.name(cluster, 'adopted');
    const found = await this.get(name);
    if (!found) return new Map();
    const record = parseOrThrow(AdoptedSchema, parseJsonText(found.value, `parameter ${name}`), `adopted parameter ${name}`);
    return new Map(Object.entries(record).map(([instanceId, serverId]) => [instanceId, serverId]));
  }

  /** Written once: an adopt run again with the same instances finds its record; other instances are
   * refused (a cluster is adopted once). */
  async recordAdopted(cluster: string, adopted: ReadonlyMap<string, number>): Promise<void> {
    const name = this.name(cluster, 'adopted');
    const record = parseOrThrow(AdoptedSchema, Object.fromEntries(adopted), 'adopted record');
    try {
      await this.put(name, documentText(cluster, 'adopted record', record), false);
    } catch (err) {
      if (!(err instanceof AwsCallError && err.code === 'ParameterAlreadyExists')) throw err;
      const kept = await this.readAdopted(cluster);
      if (kept.size !== adopted.size || [...adopted].some(([instanceId, serverId]) => kept.get(instanceId) !== serverId)) {
        throw new InvalidInputError(`adopted record ${name}`, [`instances: ${cluster} was adopted before with other instances (${[...kept.keys()].join(', ')})`]);
      }
    }
  }

  /** The lease record that holds: the latest one whose version is basedOn + 1. */
  private async validLease(cluster: string, latest?: { value: string; version: number }): Promise<LeaseRecord | undefined> {
    const name = this.name(cluster, 'lease');
    const top = latest ?? (await this.get(name));
    if (!top) return undefined;
    const record = { ...parseOrThrow(LeaseRecordSchema, parseJsonText(top.value, `parameter ${name}`), `lease parameter ${name}`), token: top.version };
    if (record.basedOn + 1 === record.token || record.token === 1) return record;
    for (const h of (await this.history(name)).sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0))) {
      const r = LeaseRecordSchema.safeParse(safeJson(h.Value ?? ''));
      if (r.success && (r.data.basedOn + 1 === h.Version || h.Version === 1)) return { ...r.data, token: h.Version ?? 0 };
    }
    return undefined;
  }

  /** The value readSpec just read with the spec, once; else a read of its own. */
  private async readOnce(cluster: string, name: string): Promise<{ value: string; version: number } | undefined> {
    const read = this.readWithSpec.get(cluster);
    if (read?.values.has(name) && this.clock() - read.at <= READ_TOGETHER_FRESH_MS) {
      const value = read.values.get(name);
      read.values.delete(name);
      return value;
    }
    return this.get(name);
  }

  /** Every version SSM still keeps of a parameter (the last 100). */
  private async history(name: string): Promise<ParameterHistory[]> {
    const history: ParameterHistory[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('GetParameterHistory', name, () => this.ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken: token })));
      history.push(...(page.Parameters ?? []));
      token = page.NextToken;
    } while (token);
    return history;
  }

  private async get(name: string, decrypt = false): Promise<{ value: string; version: number } | undefined> {
    try {
      const out = await this.call('GetParameter', name, () => this.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt })));
      return { value: out.Parameter?.Value ?? '', version: out.Parameter?.Version ?? 0 };
    } catch (err) {
      if (err instanceof AwsCallError && err.code === 'ParameterNotFound') return undefined;
      throw err;
    }
  }

  /** Writes a String parameter; returns the version SSM gave it. The type is always sent: SSM
   * requires it when the write creates the parameter, which any first write may do. */
  private async put(name: string, value: string, overwrite: boolean): Promise<number> {
    const out = await this.call('PutParameter', name, () => this.ssm.send(new PutParameterCommand({ Name: name, Value: value, Overwrite: overwrite, Type: 'String' })));
    return out.Version ?? 0;
  }

  private async call<T>(operation: string, resource: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withThrottlingRetry(this.retry, async () => {
        await this.budgets?.take('ssm', operation);
        return send();
      });
    } catch (err) {
      throw awsCallError('ssm', operation, resource, err);
    }
  }

  private name(cluster: string, leaf: string): string {
    return `${this.prefix}/${cluster}/${leaf}`;
  }
}



function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function requestsIn(name: string, text: string): OperatorRequests {
  return parseOrThrow(OperatorRequestsSchema, parseJsonText(text, `parameter ${name}`), `requests parameter ${name}`);
}
