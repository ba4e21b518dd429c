import { setTimeout as sleep } from 'node:timers/promises';
import zookeeper from 'node-zookeeper-client';
import connectionManagerModule from 'node-zookeeper-client/lib/ConnectionManager.js';
import libraryExceptions from 'node-zookeeper-client/lib/Exception.js';
import { errorForCode, ZooKeeperTimeoutError, type CallContext } from './errors.js';
import { encodeReconfigRequest, encodeSyncRequest, type ReconfigRequest } from './jute.js';

// A ZooKeeper session on node-zookeeper-client, with what the library lacks for an admin client:
// `sync` and `reconfig` (opcodes 9 and 16, sent as raw records on its connection), the reconfig
// error codes (-13, -14, -123), a deadline on every call, and a close that leaves no socket or timer
// behind (a Lambda or a test must be able to exit).

const OP_SYNC = 9;
const OP_RECONFIG = 16;

// The library parses a reply by the request's `header.type`: a reconfig reply has GetData's shape
// (the new config and its Stat), a sync reply has Create's (a path).
const PARSE_AS_GET_DATA = 4;
const PARSE_AS_CREATE = 1;

// node-zookeeper-client 1.1.3 throws `Unknown code` inside its socket handler for codes it does
// not know (-13, -14, -123...), which would crash the process. Make it build an error for any code.
// (Static imports of its internal modules, so the patch also holds in a bundle.)
const createKnown = libraryExceptions.create;
libraryExceptions.create = (code: number, path?: string): Error => {
  try {
    return createKnown(code, path);
  } catch {
    return Object.assign(new Error(`ZooKeeper error code ${code}`), { code, getCode: () => code });
  }
};
/** In this state a closed socket ends the connection manager instead of reconnecting. */
const CM_CLOSING = connectionManagerModule.STATES.CLOSING;

export interface SessionOptions {
  /** `host:port[,host:port...]`: one chosen server, or the ensemble. */
  readonly connectString: string;
  /** Deadline for connecting, and for each call. */
  readonly timeoutMs: number;
  /** ZooKeeper clamps it to 2..20 tick times. */
  readonly sessionTimeoutMs?: number;
}

export interface ZnodeData {
  readonly data: Buffer;
  /** Stat.version, the znode's data version (always -1 for /zookeeper/config). */
  readonly version: number;
  /** zxid of the last change (for /zookeeper/config: the config version). */
  readonly mzxid: bigint;
}

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential';

interface ConnectionManagerInternals {
  state: number;
  socket?: { remoteAddress?: string; remotePort?: number; destroy(): void };
  connectTimeoutHandler: ReturnType<typeof setTimeout> | null;
  connect(): void;
  setState(state: number): void;
  queue(request: object, callback: (err: Error | null, response?: { payload: unknown }) => void): void;
}

/** How long the library waits before it tries the servers again. */
const SPIN_DELAY_MS = 100;

export class ZooKeeperSession {
  private closed = false;

  private constructor(
    private readonly client: zookeeper.Client,
    private readonly options: SessionOptions,
  ) {}

  /** Connects (and authenticates, when asked) within the deadline, or rejects and cleans up. */
  static async open(options: SessionOptions): Promise<ZooKeeperSession> {
    const client = zookeeper.createClient(options.connectString, {
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      spinDelay: SPIN_DELAY_MS,
      retries: 0,
    });
    const session = new ZooKeeperSession(client, options);
    const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    client.connect();
    const timedOut = await withDeadline(connected, options.timeoutMs);
    if (timedOut) {
      await session.close();
      throw new ZooKeeperTimeoutError({ server: options.connectString, operation: 'connect', args: '' }, options.timeoutMs);
    }
    return session;
  }

  /**
   * Authenticates as ZooKeeper's super user (digest scheme), which reconfig needs. The credentials
   * go out at once on this connection, ahead of any call made after (the library queues them), and
   * again on every reconnect: give it a session to one server that must have them, never a list.
   */
  authenticate(superPassword: string): void {
    this.client.addAuthInfo('digest', Buffer.from(`super:${superPassword}`, 'utf8'));
  }

  /** ZooKeeper's id for this session: its top byte is the id of the server that created it. */
  get sessionId(): bigint {
    return this.client.getSessionId().readBigUInt64BE(0);
  }

  /** `host:port` this session is connected to now. */
  get server(): string {
    const socket = this.internals().socket;
    return socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : this.options.connectString;
  }

  getData(path: string): Promise<ZnodeData> {
    return this.call('getData', path, (done) =>
      this.client.getData(path, (err, data, stat) =>
        done(err, err ? undefined : { data: data ?? Buffer.alloc(0), version: stat.version, mzxid: stat.mzxid.readBigInt64BE(0) }),
      ),
    );
  }

  exists(path: string): Promise<boolean> {
    return this.call('exists', path, (done) => this.client.exists(path, (err, stat) => done(err, err ? undefined : Boolean(stat))));
  }

  create(path: string, data: Buffer, mode: CreateMode = 'persistent'): Promise<string> {
    const createMode = {
      persistent: zookeeper.CreateMode.PERSISTENT,
      ephemeral: zookeeper.CreateMode.EPHEMERAL,
      'persistent-sequential': zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
    }[mode];
    return this.call('create', `${path}, ${data.length} bytes, ${mode}`, (done) =>
      this.client.create(path, data, createMode, (err, created) => done(err, created)),
    );
  }

  setData(path: string, data: Buffer, version = -1): Promise<void> {
    return this.call('setData', `${path}, ${data.length} bytes, version ${version}`, (done) =>
      this.client.setData(path, data, version, (err) => done(err, undefined)),
    );
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call('delete', `${path}, version ${version}`, (done) => this.client.remove(path, version, (err) => done(err, undefined)));
  }

  /** Makes this server catch up with the leader, so that the next read is not stale. */
  sync(path: string): Promise<void> {
    return this.raw('sync', path, OP_SYNC, PARSE_AS_CREATE, encodeSyncRequest(path)).then(() => undefined);
  }

  /** The raw reconfig call: returns the committed config text and its Stat. */
  async reconfig(request: ReconfigRequest): Promise<ZnodeData> {
    const args = describeReconfig(request);
    const reply = (await this.raw('reconfig', args, OP_RECONFIG, PARSE_AS_GET_DATA, encodeReconfigRequest(request))) as {
      data: Buffer | null;
      stat: zookeeper.Stat;
    };
    return { data: reply.data ?? Buffer.alloc(0), version: reply.stat.version, mzxid: reply.stat.mzxid.readBigInt64BE(0) };
  }

  /** Closes the session; after at most one deadline nothing of it is left running. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const cm = this.internals();
    const connected = this.client.getState() === zookeeper.State.SYNC_CONNECTED;
    if (connected) {
      const ended = new Promise<void>((resolve) => this.client.once('disconnected', () => resolve()));
      this.client.close();
      await withDeadline(ended, Math.min(this.options.timeoutMs, 1000));
    }
    // Whatever state it is in (connecting, retrying, closing), stop it for good: no reconnect, no timer.
    cm.connect = () => {};
    const stop = (): void => {
      if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
      cm.setState(CM_CLOSING);
      cm.socket?.destroy();
    };
    stop();
    if (!connected) {
      // A retry the library scheduled (after its spin delay) opens one more socket: let it, then end it.
      await sleep(SPIN_DELAY_MS + 20);
      stop();
    }
  }

  private raw(operation: string, args: string, wireType: number, parseAs: number, body: Buffer): Promise<unknown> {
    const request = {
      header: { xid: 0, type: parseAs },
      payload: null,
      toBuffer(): Buffer {
        const buffer = Buffer.alloc(12 + body.length);
        buffer.writeInt32BE(8 + body.length, 0);
        buffer.writeInt32BE(this.header.xid, 4); // the library sets the xid just before it serialises
        buffer.writeInt32BE(wireType, 8);
        body.copy(buffer, 12);
        return buffer;
      },
    };
    return this.call(operation, args, (done) => this.internals().queue(request, (err, response) => done(err, response?.payload)));
  }

  private call<T>(operation: string, args: string, run: (done: (err: unknown, value: T | undefined) => void) => void): Promise<T> {
    const context = (): CallContext => ({ server: this.server, operation, args });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ZooKeeperTimeoutError(context(), this.options.timeoutMs)), this.options.timeoutMs);
      run((err, value) => {
        clearTimeout(timer);
        if (err) reject(translate(err, context()));
        else resolve(value as T);
      });
    });
  }

  private internals(): ConnectionManagerInternals {
    return (this.client as unknown as { connectionManager: ConnectionManagerInternals }).connectionManager;
  }
}

function translate(err: unknown, call: CallContext): unknown {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? errorForCode(code, call, err) : err;
}

export function describeReconfig(r: ReconfigRequest): string {
  const parts = [
    r.joining?.length ? `joining=${r.joining.join(',')}` : undefined,
    r.leaving?.length ? `leaving=${r.leaving.join(',')}` : undefined,
    r.newMembers ? `newMembers=${r.newMembers.join(',')}` : undefined,
    `fromConfig=${r.fromConfig === -1n ? '-1' : r.fromConfig.toString(16)}`,
  ];
  return parts.filter(Boolean).join(' ');
}

/** Resolves true when the deadline passed first. */
async function withDeadline(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  try {
    return await Promise.race([promise.then(() => false), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
