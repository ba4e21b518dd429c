import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { mergeRequests, OperatorRequestsSchema } from '../../config/operator.js';
import { parseJsonText, parseOrThrow } from '../../config/parse.js';
import { ClusterNameSchema, ClusterSpecSchema, type ClusterSpec } from '../../config/spec.js';
import { ControllerStateSchema, type ControllerState } from '../../config/state.js';
import { documentText, leaseHolds, specStoredAs, stateText } from '../../config/documents.js';
import { InvalidInputError, LeaseLostError, NotFoundError } from '../../errors.js';
import type { Lease, OperatorRequest, PublishedConnectStrings, StateStore, StoredState } from '../../ports/index.js';

// Local mode's StateStore: one directory per cluster under `<home>/clusters/`. Every write goes to a
// temporary file renamed over the old one (readers never see half a file); the lease is a file
// whose changes are made under an exclusive mutex file, and which expires, so a crashed controller
// does not block the next one. State and requests are held to SSM's 4 KB, so that local mode
// fails where AWS would.

const LeaseSchema = z.object({ holder: z.string(), token: z.number().int().min(0), expiresAt: z.number() });
const ConnectStringSchema = z.object({ clients: z.string(), readMostly: z.string() });

/** A mutex left by a process that died while holding it is broken after this long. */
const STALE_MUTEX_MS = 5000;
const MUTEX_ATTEMPTS = 200;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Paths end up in zoo.cfg, in shell command lines and on terminals: no control characters, no
 * backslashes (a properties escape). */
const UNSAFE_PATH = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/;

export class FileStateStore implements StateStore {
  constructor(private readonly home: string) {
    if (home === '' || UNSAFE_PATH.test(home)) {
      throw new InvalidInputError('local state', [`home: must be a directory path without control characters or backslashes (got ${JSON.stringify(home)})`]);
    }
  }

  /** The cluster's directory; a name that is not a cluster name is refused (it would become a path,
   * a zoo.cfg line, a terminal line). */
  clusterDir(cluster: string): string {
    return join(this.home, 'clusters', parseOrThrow(ClusterNameSchema, cluster, 'cluster name'));
  }

  /** Directories whose names are cluster names; any other directory is not a cluster. */
  async listClusters(): Promise<string[]> {
    const root = join(this.home, 'clusters');
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((name) => ClusterNameSchema.safeParse(name).success && existsSync(join(root, name, 'spec.json')))
      .sort();
  }

  async readSpec(cluster: string): Promise<ClusterSpec> {
    const path = this.path(cluster, 'spec.json');
    if (!existsSync(path)) throw new NotFoundError(`cluster "${cluster}"`, { cluster, path });
    return specStoredAs(cluster, parseOrThrow(ClusterSpecSchema, readJson(path), `spec file ${path}`), `spec file ${path}`);
  }

  async writeSpec(cluster: string, spec: ClusterSpec): Promise<void> {
    specStoredAs(cluster, spec, 'spec');
    mkdirSync(this.clusterDir(cluster), { recursive: true });
    writeAtomically(this.path(cluster, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  }

  async readState(cluster: string): Promise<StoredState | undefined> {
    const path = this.path(cluster, 'state.json');
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, 'utf8');
    const state = parseOrThrow(ControllerStateSchema, parseJsonText(text, `file ${path}`), `state file ${path}`);
    const stat = statSync(path);
    return { state, version: `${stat.mtimeMs}:${stat.size}` };
  }

  async writeState(cluster: string, state: ControllerState, lease: Lease): Promise<void> {
    const text = stateText(cluster, state);
    this.underMutex(cluster, () => {
      const current = this.currentLease(cluster);
      if (!leaseHolds(current, lease, Date.now())) throw new LeaseLostError(cluster, lease.token, current?.holder ?? 'nobody');
      writeAtomically(this.path(cluster, 'state.json'), text);
    });
  }

  async holdsLease(lease: Lease, now: number): Promise<boolean> {
    return leaseHolds(this.currentLease(lease.cluster), lease, now);
  }

  async acquireLease(cluster: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    mkdirSync(this.clusterDir(cluster), { recursive: true });
    return this.underMutex(cluster, () => {
      const current = this.currentLease(cluster);
      if (current && current.holder !== holder && current.expiresAt > now) return undefined;
      const lease: Lease = { cluster, holder, token: (current?.token ?? 0) + 1, expiresAt: now + ttlMs };
      writeAtomically(this.path(cluster, 'lease.json'), JSON.stringify({ holder, token: lease.token, expiresAt: lease.expiresAt }));
      return lease;
    }, undefined);
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.underMutex(lease.cluster, () => {
      const current = this.currentLease(lease.cluster);
      if (current?.token === lease.token) {
        writeAtomically(this.path(lease.cluster, 'lease.json'), JSON.stringify({ ...current, expiresAt: 0 }));
      }
    });
  }

  async readRequests(cluster: string): Promise<OperatorRequest[]> {
    return this.requests(cluster);
  }

  async addRequest(cluster: string, request: OperatorRequest): Promise<void> {
    this.underMutex(cluster, () => writeAtomically(this.path(cluster, 'requests.json'), documentText(cluster, 'requests', mergeRequests(this.requests(cluster), [request]))));
  }

  async publishConnectString(cluster: string, render: (published: PublishedConnectStrings | undefined) => PublishedConnectStrings): Promise<void> {
    const current = await this.readConnectString(cluster);
    const strings = render(current);
    if (current?.clients === strings.clients && current.readMostly === strings.readMostly) return;
    writeAtomically(this.path(cluster, 'connect-string.json'), JSON.stringify({ clients: strings.clients, readMostly: strings.readMostly }));
  }

  async readConnectString(cluster: string): Promise<PublishedConnectStrings | undefined> {
    const path = this.path(cluster, 'connect-string.json');
    return existsSync(path) ? parseOrThrow(ConnectStringSchema, readJson(path), `connect string file ${path}`) : undefined;
  }

  private requests(cluster: string): OperatorRequest[] {
    const path = this.path(cluster, 'requests.json');
    return existsSync(path) ? parseOrThrow(OperatorRequestsSchema, readJson(path), `requests file ${path}`) : [];
  }

  private currentLease(cluster: string): z.output<typeof LeaseSchema> | undefined {
    const path = this.path(cluster, 'lease.json');
    return existsSync(path) ? parseOrThrow(LeaseSchema, readJson(path), `lease file ${path}`) : undefined;
  }

  /** Runs `fn` holding the cluster's mutex file; `busy` is returned when another process holds it. */
  private underMutex<T>(cluster: string, fn: () => T, ...busy: [T] | []): T {
    mkdirSync(this.clusterDir(cluster), { recursive: true });
    const mutex = this.path(cluster, 'lease.mutex');
    let fd: number | undefined;
    for (let attempt = 0; attempt < MUTEX_ATTEMPTS && fd === undefined; attempt++) {
      try {
        fd = openSync(mutex, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (Date.now() - safeMtime(mutex) > STALE_MUTEX_MS) unlinkQuietly(mutex);
        else if (busy.length > 0) return busy[0] as T;
        else Atomics.wait(SLEEPER, 0, 0, 5); // held for microseconds by another process: wait a little
      }
    }
    if (fd === undefined) throw new LeaseLostError(cluster, 0, 'another process (mutex busy)');
    try {
      return fn();
    } finally {
      closeSync(fd);
      unlinkQuietly(mutex);
    }
  }

  private path(cluster: string, file: string): string {
    return join(this.clusterDir(cluster), file);
  }
}



function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

function readJson(path: string): unknown {
  return parseJsonText(readFileSync(path, 'utf8'), `file ${path}`);
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
